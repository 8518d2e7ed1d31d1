// Session flows and the feedback VS Code's UX guidelines ask for, in a real
// VS Code: Back in Create Session / Send Prompt / Set Context Strategy,
// confirmations, Export's Open, the read-only OpenAPI document, a stopped
// prompt in the tree, the walkthrough's context keys and the keyboard
// commands. Phase 1 only.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MoonshotSessionsApi } from '../../src/extension';
import type { SessionMetadata } from '../../src/core/schemas';
import type { ApiState } from '../../src/vscode/apiController';
import type { ChatNode, SessionNode } from '../../src/vscode/sessionsTree';
import type { ChatPanel } from '../../src/vscode/chatPanel';
import { readEndpointSources } from '../../src/vscode/configuration';
import { runCommand } from '../../src/vscode/commands';
import { ScriptedInput } from './scriptedInput';
import { EXTENSION_ID, commandRunner, runScripted, setting, withScript, workspaceFolder } from './helpers';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

const phase = process.env.MOONSHOT_IT_PHASE ?? '1';

if (phase === '1') {
  describe('Session flows and feedback', function () {
    this.timeout(60_000);
    let api: MoonshotSessionsApi;
    let fake: FakeOpenAI;
    const run = commandRunner(() => api);
    const steps = (script: ScriptedInput) => script.asked.map((a) => `${a.step ?? '-'}/${a.totalSteps ?? '-'}${a.back ? '<' : ''}`);
    const chatItem = async (sessionId: string) => {
      const node = ((await api.tree.getChildren()) as SessionNode[]).find((n) => n.session.session_id === sessionId)!;
      const [chat] = (await api.tree.getChildren(node)) as ChatNode[];
      return api.tree.getTreeItem(chat!);
    };

    before(async () => {
      api = await vscode.extensions.getExtension<MoonshotSessionsApi>(EXTENSION_ID)!.activate();
      fake = await startFakeOpenAI();
      await setting('endpoints', [
        { id: 'fake-a', name: 'Fake A', connector_type: 'openai-connector', uri: fake.url, model: 'alpha', params: { max_attempts: 1 } },
        { id: 'hanger', name: 'Hanger', connector_type: 'openai-connector', uri: fake.url, model: 'hang', params: { max_attempts: 1 } },
        { id: 'gate', name: 'Gate', connector_type: 'openai-connector', uri: fake.url, model: 'hang', params: { max_attempts: 1 } },
      ]);
      await api.core.endpoints.setSources(readEndpointSources());
    });

    after(async () => {
      await setting('endpoints', undefined);
      await api.core.endpoints.setSources(readEndpointSources());
      await fake.close();
    });

    let session: SessionMetadata;

    it('Create Session: Back keeps the answers, no endpoint picked asks again, and the chat panel opens with its prompt box ' +
      'focused', async () => {
      const focusedIn = new Set<string>();
      let onFocus: (() => void) | undefined;
      const sub = api.panels.onDidPost((p) => {
        if (p.message.type !== 'focusPrompt') return;
        focusedIn.add(p.sessionId);
        onFocus?.();
      });
      const { result, script } = await runScripted<SessionMetadata>(
        api,
        'createSession',
        new ScriptedInput([
          { input: 'Backtrack' },
          { input: 'first try' },
          { back: true },
          { back: true },
          { input: (name) => `${name}ed` },
          { input: (description) => description },
          { pickMany: [] },
          { pickMany: ['echo', 'fake-a'] },
          { pick: 'None' },
          { back: true },
          { pick: 'None' },
          { pick: 'None' },
        ]),
      );
      session = result;
      assert.equal(session.name, 'Backtracked');
      assert.equal(session.description, 'first try');
      assert.deepEqual(session.endpoints, ['echo', 'fake-a']);
      assert.deepEqual(steps(script), ['1/5', '2/5<', '3/5<', '2/5<', '1/5', '2/5<', '3/5<', '3/5<', '4/5<', '5/5<', '4/5<', '5/5<']);
      assert.equal(script.asked[3]!.value, 'first try', 'Back shows the earlier answer');
      assert.equal(script.asked[4]!.value, 'Backtrack');
      assert.doesNotMatch(script.asked[6]!.placeHolder ?? '', /at least one/);
      assert.match(script.asked[7]!.placeHolder ?? '', /at least one endpoint/, 'asked again, saying why');
      assert.ok(api.panels.get(session.session_id), 'the chat panel opened');
      // Its webview is told to focus the prompt box (once it has loaded).
      if (!focusedIn.has(session.session_id))
        await new Promise<void>((resolve) => (onFocus = () => focusedIn.has(session.session_id) && resolve()));
      sub.dispose();
      assert.match(script.statuses.join('\n'), /Created session "Backtracked" with 2 endpoints/);
    });

    it('Send Prompt: Back from the prompt to the session list', async () => {
      const { result, script } = await runScripted<Record<string, { predicted_result: string }[]>>(
        api,
        'sendPrompt',
        new ScriptedInput([{ pick: 'Backtracked' }, { back: true }, { pick: 'Backtracked' }, { input: 'hello both' }]),
      );
      assert.deepEqual(steps(script), ['1/2', '2/2<', '1/2', '2/2<']);
      assert.deepEqual(Object.values(result).map((r) => r[0]!.predicted_result).sort(), ['echo: hello both', 'hello both']);
      assert.equal(script.notes.at(-1)?.message, '2 of 2 endpoints answered.');
      assert.deepEqual(script.notes.at(-1)?.actions, ['Open Session']);
    });

    it('Set / Clear Context Strategy and Clear Prompt Template say what they did; Back from the count to the strategy', async () => {
      const { script } = await runScripted(
        api,
        'setContextStrategy',
        new ScriptedInput([{ pick: 'conversation' }, { back: true }, { pick: 'add_previous_prompt' }, { rejects: '0' }, { input: '3' }]),
        session.session_id,
      );
      assert.deepEqual(steps(script), ['1/2', '2/2<', '1/2', '2/2<']);
      assert.equal((await api.core.sessions.get(session.session_id)).context_strategy, 'add_previous_prompt');
      assert.deepEqual(script.statuses, ['"Backtracked" now sends the last 3 prompts as context (add_previous_prompt)']);
      const cleared = await runScripted<boolean>(api, 'clearContextStrategy', new ScriptedInput([]), session.session_id);
      assert.equal(cleared.result, true);
      assert.deepEqual(cleared.script.statuses, ['"Backtracked" sends each prompt on its own now']);
      const noTemplate = await runScripted<boolean>(api, 'clearPromptTemplate', new ScriptedInput([]), session.session_id);
      assert.equal(noTemplate.result, false);
      assert.deepEqual(noTemplate.script.statuses, ['"Backtracked" has no prompt template']);
      const noFolder = await runScripted(api, 'setPromptTemplate', new ScriptedInput([]), session.session_id);
      assert.match(noFolder.script.notes[0]?.message ?? '', /No prompt templates found.*moonshotSessions\.promptTemplateFolders/);
      assert.deepEqual(noFolder.script.notes[0]?.actions, ['Open Settings']);
    });

    it('Set / Clear Prompt Template say what they did, with templates from a folder that is followed', async () => {
      const folder = vscode.Uri.joinPath(workspaceFolder(), 'flow-templates');
      await vscode.workspace.fs.writeFile(
        vscode.Uri.joinPath(folder, 'brief.json'),
        Buffer.from(JSON.stringify({ name: 'brief', description: 'Short answers', template: 'Briefly: {{ prompt }}' })),
      );
      const loaded = (name: string) =>
        new Promise<void>((resolve) => {
          const sub = api.core.templates.onDidChange(() => {
            if (api.core.templates.get(name)) {
              sub.dispose();
              resolve();
            }
          });
        });
      const first = loaded('brief');
      await setting('promptTemplateFolders', ['flow-templates']);
      await first;
      const set = await runScripted<string>(api, 'setPromptTemplate', new ScriptedInput([{ pick: 'brief' }]), session.session_id);
      assert.equal(set.result, 'brief');
      assert.deepEqual(set.script.statuses, ['"Backtracked" now wraps prompts in the template "brief"']);
      // A template file added later is there without a reload.
      const second = loaded('later');
      await vscode.workspace.fs.writeFile(
        vscode.Uri.joinPath(folder, 'later.json'),
        Buffer.from(JSON.stringify({ name: 'later', template: 'Later: {{ prompt }}' })),
      );
      await second;
      const clear = await runScripted<boolean>(api, 'clearPromptTemplate', new ScriptedInput([]), session.session_id);
      assert.equal(clear.result, true);
      assert.deepEqual(clear.script.statuses, ['"Backtracked" sends prompts without a template now']);
      await setting('promptTemplateFolders', undefined);
    });

    it('Restart API says where it listens now', async () => {
      const { result, script } = await runScripted<ApiState>(api, 'restartApi', new ScriptedInput([]));
      assert.ok(result.running);
      assert.deepEqual(script.notes, [{ level: 'info', message: `The Moonshot API restarted and listens on ${result.url}.`, actions: [] }]);
    });

    it("Export: Open opens the file; JSON keeps every stored field; Markdown goes prompt by prompt with each endpoint's " +
      'answer', async () => {
      const jsonUri = vscode.Uri.joinPath(workspaceFolder(), 'flows-export.json');
      const opened = new Promise<vscode.TextDocument>((resolve) => {
        const sub = vscode.workspace.onDidOpenTextDocument((d) => {
          if (d.uri.toString() === jsonUri.toString()) {
            sub.dispose();
            resolve(d);
          }
        });
      });
      const script = new ScriptedInput([{ pick: 'JSON' }, { save: jsonUri }], { clicks: ['Open'] });
      await withScript(api, script, async () => {
        await runCommand('exportSession', session.session_id);
        await opened;
      });
      assert.deepEqual(script.notes.at(-1)?.actions, ['Open']);
      const exported = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(jsonUri)).toString('utf8'));
      const stored = await api.core.sessions.get(session.session_id, { includeHistory: true });
      assert.deepEqual(exported.session, stored, 'every field as stored');
      const fakeRecord = exported.session.chat_history[session.chat_ids[1]!][0];
      assert.equal(fakeRecord.usage.total_tokens > 0, true, 'usage is kept');
      assert.match(fakeRecord.prompt_id, /^[0-9a-f-]{36}$/, 'and the prompt id');
      assert.equal(
        exported.session.chat_history[session.chat_ids[0]!][0].prompt_id,
        fakeRecord.prompt_id,
        'one prompt, one id in every chat',
      );

      const mdUri = vscode.Uri.joinPath(workspaceFolder(), 'flows-export.md');
      await run('exportSession', [{ pick: 'Markdown' }, { save: mdUri }], session.session_id);
      const md = Buffer.from(await vscode.workspace.fs.readFile(mdUri)).toString('utf8');
      assert.equal(md.match(/^## Prompt \d+$/gm)?.length, 1, 'one prompt, once');
      assert.match(
        md,
        new RegExp(
          [
            '## Prompt 1\\n\\n```text\\nhello both\\n```\\n\\n',
            '### Echo \\\\\\(offline\\\\\\) \\(`echo`\\)\\n\\nhello both\\n\\n\\*.*\\n\\n',
            '### Fake A \\(`fake-a`\\)\\n\\necho: hello both\\n',
          ].join(''),
        ),
      );
    });

    it('Open API Document opens a read-only virtual JSON document, not an unsaved buffer', async () => {
      const editor = (await run<vscode.TextEditor>('openApiDocument', []))!;
      const doc = editor.document;
      assert.equal(doc.uri.scheme, 'moonshot-api');
      assert.equal(doc.languageId, 'json');
      assert.equal(doc.isUntitled, false);
      assert.equal(doc.isDirty, false);
      assert.match(JSON.parse(doc.getText()).openapi, /^3\.1/);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      assert.equal(
        vscode.workspace.textDocuments.some((d) => d.isUntitled && /"openapi"/.test(d.getText())),
        false,
        'no untitled buffer to save on close',
      );
    });

    it('a chat answering a prompt says "answering…"; a prompt waiting for an earlier one says "queued"', async () => {
      const busy = await api.core.sessions.create({ name: 'Busy', endpoints: ['gate'] });
      const event = (type: 'chatStarted' | 'chatQueued') =>
        new Promise<void>((resolve) => {
          const sub = api.core.sessions.onDidChange((e) => {
            if (e.type === type && e.sessionId === busy.session_id) {
              sub.dispose();
              resolve();
            }
          });
        });
      const started = event('chatStarted');
      const first = api.core.sessions.prompt(busy.session_id, 'first');
      await started;
      const answering = await chatItem(busy.session_id);
      assert.equal(answering.description, 'answering… · 0 records');
      assert.equal((answering.iconPath as vscode.ThemeIcon).id, 'loading~spin');
      const queued = event('chatQueued');
      const second = api.core.sessions.prompt(busy.session_id, 'second');
      await queued;
      const both = await chatItem(busy.session_id);
      assert.equal(both.description, 'answering… · 1 queued · 0 records');
      assert.match((both.tooltip as vscode.MarkdownString).value, /Answering a prompt now; 1 more waiting/);
      const sessionNode = ((await api.tree.getChildren()) as SessionNode[]).find((n) => n.session.session_id === busy.session_id)!;
      assert.match(String(api.tree.getTreeItem(sessionNode).description), /^answering… · 1 endpoint/);
      api.core.sessions.cancel(busy.session_id);
      await Promise.all([first, second]);
      const idle = await chatItem(busy.session_id);
      assert.match(String(idle.description), /^2 records · last .* · stopped$/);
      assert.equal((idle.iconPath as vscode.ThemeIcon).id, 'debug-stop');
      await api.core.sessions.delete(busy.session_id);
    });

    it('a prompt the user stopped shows as "stopped" in the tree, not as an error', async () => {
      const stoppable = await api.core.sessions.create({ name: 'Stoppable', endpoints: ['hanger'] });
      const arrived = new Promise<void>((resolve) => fake.events.once('request', () => resolve()));
      const prompt = api.core.sessions.prompt(stoppable.session_id, 'wait for it');
      await arrived;
      api.core.sessions.cancel(stoppable.session_id);
      const [record] = Object.values(await prompt).flat();
      assert.equal(record!.error, 'cancelled');
      const stopped = await chatItem(stoppable.session_id);
      assert.equal((stopped.iconPath as vscode.ThemeIcon).id, 'debug-stop');
      assert.match(String(stopped.description), /· stopped$/);
      assert.match((stopped.tooltip as vscode.MarkdownString).value, /stopped by the user/);

      await setting('endpoints', [
        { id: 'hanger', name: 'Hanger', connector_type: 'openai-connector', uri: fake.url, model: 'fail:500', params: { max_attempts: 1 } },
      ]);
      await api.core.endpoints.setSources(readEndpointSources());
      await api.core.sessions.prompt(stoppable.session_id, 'fails');
      const failed = await chatItem(stoppable.session_id);
      assert.equal((failed.iconPath as vscode.ThemeIcon).id, 'error', 'a real failure still shows as one');
      assert.doesNotMatch(String(failed.description), /stopped/);
      await api.core.sessions.delete(stoppable.session_id);
    });

    it("the walkthrough's context keys follow what the user did: a session, a prompt, two answers to compare", async () => {
      await api.walkthrough.ready;
      assert.equal(api.walkthrough.values.hasSession, true);
      assert.equal(api.walkthrough.values.promptSent, true);
      assert.equal(api.walkthrough.values.compared, true, 'Backtracked has two endpoints that answered');
      type Walkthrough = { steps: { id: string; completionEvents: string[]; media: Record<string, string> }[] };
      const walkthrough = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.walkthroughs[0] as Walkthrough;
      assert.deepEqual(walkthrough.steps.map((s) => s.id), ['endpoint', 'session', 'prompt', 'compare', 'api']);
      const contexts = walkthrough.steps
        .flatMap((s) => s.completionEvents)
        .filter((e) => e.startsWith('onContext:'))
        .map((e) => e.slice('onContext:'.length));
      assert.deepEqual(contexts, ['moonshotSessions.hasSession', 'moonshotSessions.promptSent', 'moonshotSessions.compared']);
      const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri;
      for (const step of walkthrough.steps) {
        const media = step.media.svg ?? step.media.markdown ?? step.media.image;
        assert.ok(media, `${step.id} has media`);
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(root, media));
      }
    });

    it('Focus Prompt Box and Stop All act on the active chat panel, and say so when none is open', async () => {
      const busy = await api.core.sessions.create({ name: 'Stop From Keys', endpoints: ['hanger'] });
      await setting('endpoints', [
        { id: 'hanger', name: 'Hanger', connector_type: 'openai-connector', uri: fake.url, model: 'hang', params: { max_attempts: 1 } },
      ]);
      await api.core.endpoints.setSources(readEndpointSources());
      const panel = (await run<ChatPanel>('openSession', [], busy.session_id))!;
      await panel.whenReady();
      const posted: string[] = [];
      const sub = api.panels.onDidPost((p) => p.sessionId === busy.session_id && posted.push(p.message.type));
      const focused = await runScripted<boolean>(api, 'focusPromptBox', new ScriptedInput([]));
      assert.equal(focused.result, true);
      assert.deepEqual(focused.script.notes, []);
      assert.ok(posted.includes('focusPrompt'), 'the webview was told to focus its prompt box');
      sub.dispose();
      const arrived = new Promise<void>((resolve) => fake.events.once('request', () => resolve()));
      const prompt = api.core.sessions.prompt(busy.session_id, 'never answered');
      await arrived;
      assert.equal((await runScripted<boolean>(api, 'stopAll', new ScriptedInput([]))).result, true);
      assert.equal(Object.values(await prompt).flat()[0]!.error, 'cancelled', 'Stop All stopped the call in flight');
      await api.core.sessions.delete(busy.session_id);

      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      for (const command of ['focusPromptBox', 'stopAll'] as const) {
        const { result, script } = await runScripted<boolean>(api, command, new ScriptedInput([]));
        assert.equal(result, false);
        assert.deepEqual(script.notes, [{ level: 'info', message: 'No chat panel is open.', actions: ['Open Session'] }]);
      }
      const keys = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.keybindings as { command: string; when: string }[];
      assert.deepEqual(
        keys.map((k) => `${k.command.replace('moonshotSessions.', '')} ${k.when}`),
        [
          "focusPromptBox activeWebviewPanelId == 'moonshotSessions.chat'",
          "stopAll activeWebviewPanelId == 'moonshotSessions.chat'",
          'openSession !inQuickOpen',
        ],
      );
    });
  });
}
