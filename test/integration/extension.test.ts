// The extension in a real VS Code (code-server): activation, every command
// with scripted answers, the Sessions tree, the embedded API reached from
// another process, settings applied live, a second writer on the same
// storage, and (phase 2) what survives a restart.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs, watch as watchFile } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import * as vscode from 'vscode';
import type { MoonshotSessionsApi } from '../../src/extension';
import type { SessionMetadata } from '../../src/core/schemas';
import type { PromptResult } from '../../src/core/sessions';
import { apiStatusText } from '../../src/vscode/apiController';
import type { ApiState } from '../../src/vscode/apiController';
import type { ChatPanel } from '../../src/vscode/chatPanel';
import type { HostMessage } from '../../src/shared/chatProtocol';
import type { SessionNode, ChatNode } from '../../src/vscode/sessionsTree';
import { COMMAND_IDS } from '../../src/vscode/commands';
import { commandRunner, setting, EXTENSION_ID, workspaceFolder as workspace } from './helpers';
import { freePort } from '../support/ports';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

const phase = process.env.MOONSHOT_IT_PHASE ?? '1';
const PERSISTED = 'Persisted Session';

let ext: vscode.Extension<MoonshotSessionsApi>;
let api: MoonshotSessionsApi;

const run = commandRunner(() => api);

/** Collects the messages the chat panels post to their webviews from now on. */
function watchPanels(): { messages: HostMessage[]; dispose(): void } {
  const messages: HostMessage[] = [];
  const sub = api.panels.onDidPost((p) => messages.push(p.message));
  return { messages, dispose: () => sub.dispose() };
}

async function treeSessions(): Promise<SessionNode[]> {
  return (await api.tree.getChildren()) as SessionNode[];
}

function nextApiState(predicate: (s: ApiState) => boolean): Promise<ApiState> {
  return new Promise((resolve) => {
    const sub = api.api.onDidChange((s) => {
      if (predicate(s)) {
        sub.dispose();
        resolve(s);
      }
    });
  });
}

/** An HTTP request from another process, as another tool on the machine would make it. */
function requestFromOutside(url: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: any }> {
  const script = `
    const http = require('node:http');
    const [url, headers, body] = JSON.parse(process.argv[1]);
    const req = http.request(url, { method: body == null ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body: JSON.parse(text) })));
    });
    if (body != null) req.write(JSON.stringify(body));
    req.end();`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script, JSON.stringify([url, headers, body])],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    );
  });
}

const running = (s: ApiState) => (s.running ? s : assert.fail(`API not running: ${s.reason}`));
const tokenFile = () => vscode.Uri.joinPath(workspace(), '.phase1-api-token');

describe(`Moonshot Sessions extension (phase ${phase})`, function () {
  this.timeout(60_000);

  before(async () => {
    ext = vscode.extensions.getExtension<MoonshotSessionsApi>(EXTENSION_ID)!;
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    api = await ext.activate();
    await api.apiReady;
  });

  it('activates: commands registered, storage in workspace storage, API running', async () => {
    const contributes = ext.packageJSON.contributes;
    const contributed = (contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    // One table of commands: package.json contributes exactly the ids the code registers and runs.
    assert.deepEqual([...contributed].sort(), Object.values(COMMAND_IDS).sort());
    const referenced = [
      ...Object.values(contributes.menus as Record<string, { command: string }[]>).flat().map((m) => m.command),
      ...(contributes.keybindings as { command: string }[]).map((k) => k.command),
      ...(contributes.walkthroughs as { steps: { completionEvents: string[] }[] }[])
        .flatMap((w) => w.steps.flatMap((s) => s.completionEvents))
        .filter((e) => e.startsWith('onCommand:'))
        .map((e) => e.slice('onCommand:'.length)),
    ];
    assert.deepEqual(
      referenced.filter((c) => !contributed.includes(c)),
      [],
      'menus, keybindings and the walkthrough name only contributed commands',
    );
    assert.match(api.core.storageDir, /workspaceStorage/);
    const state = running(api.api.state);
    assert.match(state.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(apiStatusText(api.api.state), /^\$\(server\) Moonshot API 127\.0\.0\.1:\d+/);
    const info = JSON.parse(await fs.readFile(join(api.core.storageDir, 'api.json'), 'utf8'));
    assert.equal(info.url, state.url);
    assert.equal((await fs.stat(join(api.core.storageDir, 'api.json'))).mode & 0o777, 0o600);
  });

  if (phase === '1') {
    describe('phase 1', () => {
      let fake: FakeOpenAI;
      before(async () => {
        fake = await startFakeOpenAI();
      });
      after(() => fake.close());

      let session: SessionMetadata;

      it('Create Session asks name, description, endpoints, template, strategy; the tree shows it', async () => {
        session = (await run<SessionMetadata>('createSession', [
          { input: PERSISTED },
          { input: 'made by the integration test' },
          { pickMany: ['echo'] },
          { pick: 'None' },
          { pick: 'None' },
        ]))!;
        assert.match(session.session_id, /^persisted-session_\d{8}-\d{6}$/);
        assert.ok(api.panels.get(session.session_id), 'its chat panel opened, for the first prompt');
        const nodes = await treeSessions();
        const node = nodes.find((n) => n.session.session_id === session.session_id)!;
        assert.ok(node);
        const item = api.tree.getTreeItem(node);
        assert.equal(item.label, PERSISTED);
        assert.equal(item.contextValue, 'session');
        assert.match(String(item.description), /1 endpoint/);
      });

      it('Create Session stops without a trace when the user cancels', async () => {
        const before = (await api.core.sessions.list()).length;
        assert.equal(await run('createSession', [{ input: 'Cancelled' }, { input: undefined }]), undefined);
        assert.equal((await api.core.sessions.list()).length, before);
      });

      it('Send Prompt sends to the picked session; the chat node counts the record', async () => {
        const result = (await run<PromptResult>('sendPrompt', [{ pick: PERSISTED }, { input: 'Hello World' }]))!;
        const [record] = result[session.chat_ids[0]!]!;
        assert.equal(record!.predicted_result, 'Hello World');
        const [node] = (await treeSessions()).filter((n) => n.session.session_id === session.session_id);
        const chats = (await api.tree.getChildren(node)) as ChatNode[];
        assert.equal(chats.length, 1);
        const item = api.tree.getTreeItem(chats[0]!);
        assert.equal(item.label, 'Echo (offline)');
        assert.match(String(item.description), /^1 record · last \d/);
      });

      it('Send Prompt takes a tree node and a prompt as arguments (inline action)', async () => {
        const [node] = (await treeSessions()).filter((n) => n.session.session_id === session.session_id);
        const result = (await run<PromptResult>('sendPrompt', [], node, 'second prompt'))!;
        assert.equal(result[session.chat_ids[0]!]![0]!.chat_record_id, 2);
      });

      it('Open Session as Markdown shows the history as a read-only document that follows new records', async () => {
        const editor = (await run<vscode.TextEditor>('openSessionMarkdown', [], session.session_id))!;
        assert.equal(editor.document.languageId, 'markdown');
        assert.match(editor.document.getText(), /Hello World/);
        const changed = new Promise<void>((resolve) => {
          const sub = vscode.workspace.onDidChangeTextDocument((e) => {
            if (e.document === editor.document && /third prompt/.test(e.document.getText())) {
              sub.dispose();
              resolve();
            }
          });
        });
        await api.core.sessions.prompt(session.session_id, 'third prompt');
        await changed;
      });

      it('Open Session opens one chat panel per session, and reveals it when opened again', async () => {
        // Create Session opened it already: start from a closed panel.
        api.panels.get(session.session_id)?.panel.dispose();
        const posted = watchPanels();
        const panel = (await run<ChatPanel>('openSession', [], session.session_id))!;
        await panel.whenReady();
        assert.equal(panel.panel.viewType, 'moonshotSessions.chat');
        assert.equal(panel.panel.title, `Moonshot: ${PERSISTED}`);
        const init = posted.messages.find((m) => m.type === 'init');
        posted.dispose();
        assert.ok(init && init.type === 'init');
        assert.deepEqual(init.rows.map((r) => r.prompt), ['Hello World', 'second prompt', 'third prompt']);
        assert.equal(init.columns[0]!.endpointName, 'Echo (offline)');
        assert.equal(await run('openSession', [{ pick: PERSISTED }]), panel, 'the same panel, revealed');
        // What the keybindings and Create Session use: focus the prompt box, stop the active panel's calls.
        const focusing = watchPanels();
        assert.equal(await api.panels.open(session.session_id, { focusPrompt: true }), panel);
        assert.equal(api.panels.focusPromptBox(), true);
        focusing.dispose();
        assert.deepEqual(focusing.messages.map((m) => m.type), ['focusPrompt', 'focusPrompt']);
        assert.equal(api.panels.stopAll(), true);
      });

      it('an open panel receives prompts sent from elsewhere as they stream', async () => {
        assert.ok(api.panels.get(session.session_id));
        const posted = watchPanels();
        await api.core.sessions.prompt(session.session_id, 'from the palette');
        posted.dispose();
        const types = posted.messages.map((m) => m.type).filter((t) => t !== 'chatStarted' && t !== 'chatQueued');
        assert.equal(types[0], 'promptStarted');
        assert.ok(types.includes('delta'), types.join(','));
        assert.deepEqual(types.slice(-2), ['record', 'promptFinished']);
      });

      it('Export Session writes JSON and Markdown where the user chose', async () => {
        const jsonUri = vscode.Uri.joinPath(workspace(), 'export.json');
        await run('exportSession', [{ pick: 'JSON' }, { save: jsonUri }], session.session_id);
        const exported = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(jsonUri)).toString('utf8'));
        assert.equal(exported.session.chat_history[session.chat_ids[0]!].length, 4);
        const mdUri = vscode.Uri.joinPath(workspace(), 'export.md');
        await run('exportSession', [{ pick: 'Markdown' }, { save: mdUri }], session.session_id);
        assert.match(Buffer.from(await vscode.workspace.fs.readFile(mdUri)).toString('utf8'), /^# Persisted Session[\s\S]*Hello World/);
      });

      it('Set/Clear Prompt Template and Context Strategy, with templates from a folder setting', async () => {
        const folder = vscode.Uri.joinPath(workspace(), 'templates');
        await vscode.workspace.fs.writeFile(
          vscode.Uri.joinPath(folder, 'qa.json'),
          Buffer.from(JSON.stringify({ name: 'qa', description: 'Q and A', template: 'Q: {{ prompt }}\nA:' })),
        );
        const loaded = new Promise<void>((resolve) => {
          const sub = api.core.templates.onDidChange(() => {
            sub.dispose();
            resolve();
          });
        });
        await setting('promptTemplateFolders', ['templates']);
        await loaded;
        assert.equal(await run('setPromptTemplate', [{ pick: 'qa' }], session.session_id), 'qa');
        assert.equal(await run('setContextStrategy', [{ pick: 'conversation' }, { input: '3' }], session.session_id), 'conversation');
        const set = await api.core.sessions.get(session.session_id);
        assert.equal(set.prompt_template, 'qa');
        assert.equal(set.context_strategy, 'conversation');
        assert.match(String(api.tree.getTreeItem({ kind: 'session', session: set }).description), /template qa · strategy conversation/);
        assert.equal(await run('clearPromptTemplate', [], session.session_id), true);
        assert.equal(await run('clearContextStrategy', [], session.session_id), true);
        const cleared = await api.core.sessions.get(session.session_id);
        assert.equal(cleared.prompt_template, null);
        assert.equal(cleared.context_strategy, null);
        await setting('promptTemplateFolders', undefined);
      });

      it('Delete Session asks first, and deletes only when confirmed', async () => {
        const doomed = (await run<SessionMetadata>('createSession', [
          { input: 'Doomed' },
          { input: '' },
          { pickMany: ['echo'] },
          { pick: 'None' },
          { pick: 'None' },
        ]))!;
        assert.equal(await run('deleteSession', [{ confirm: false }], doomed.session_id), false);
        assert.ok(await api.core.sessions.get(doomed.session_id));
        assert.equal(await run('deleteSession', [{ pick: 'Doomed' }, { confirm: true }]), true);
        assert.ok(!(await treeSessions()).some((n) => n.session.session_id === doomed.session_id));
        await assert.rejects(fs.stat(join(api.core.storageDir, 'sessions', doomed.session_id)), /ENOENT/);
      });

      it('Copy Session ID, Copy API URL and Copy API Token put them on the clipboard', async () => {
        assert.equal(await run('copySessionId', [], session.session_id), session.session_id);
        assert.equal(await vscode.env.clipboard.readText(), session.session_id);
        const url = await run<string>('copyApiUrl', []);
        assert.equal(url, running(api.api.state).url);
        assert.equal(await vscode.env.clipboard.readText(), url);
        await run('copyApiToken', []);
        assert.equal(await vscode.env.clipboard.readText(), await api.api.token());
      });

      it('Add Endpoint: base URL, key, model listed by the server, name; the key only in secret storage', async () => {
        fake.setBehaviour('listed-model', { kind: 'echo', prefix: 'model says: ' });
        const added = (await run<{ id: string }>('addEndpoint', [
          { pick: 'OpenAI-compatible' },
          { pick: 'Other…' },
          { input: fake.url },
          { input: 'sk-integration' },
          { pick: 'listed-model' },
          { input: 'Fake Local' },
        ]))!;
        assert.equal(added.id, 'fake-local');
        const inSettings = vscode.workspace.getConfiguration('moonshotSessions').get<Record<string, unknown>[]>('endpoints')!;
        assert.deepEqual(inSettings.map((e) => e.id), ['fake-local']);
        assert.ok(!JSON.stringify(inSettings).includes('sk-integration'), 'no token in settings');
        const view = await api.core.endpoints.view('fake-local');
        assert.equal(view.token, '****');
        assert.equal(view.model, 'listed-model');
        assert.equal((await api.core.endpoints.resolve('fake-local')).token, 'sk-integration');
      });

      it('Test Endpoint makes one call and reports the latency, or the error', async () => {
        const ok = (await run<{ ok: boolean; text?: string }>('testEndpoint', [{ pick: 'Fake Local' }]))!;
        assert.equal(ok.ok, true);
        assert.match(ok.text ?? '', /^model says: /);
        assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer sk-integration');
        await setting('endpoints', [
          {
            id: 'broken',
            name: 'Broken',
            connector_type: 'openai-connector',
            uri: fake.url,
            model: 'fail:503',
            params: { max_attempts: 1 },
          },
          ...vscode.workspace.getConfiguration('moonshotSessions').get<object[]>('endpoints')!,
        ]);
        await api.core.endpoints.setSources((await import('../../src/vscode/configuration')).readEndpointSources());
        const bad = (await run<{ ok: boolean; error?: string }>('testEndpoint', [], 'broken'))!;
        assert.equal(bad.ok, false);
        assert.match(bad.error ?? '', /HTTP 503/);
      });

      it('Set Endpoint Token replaces the key; Remove Endpoint removes it from settings and secret storage', async () => {
        assert.equal(await run('setEndpointToken', [{ pick: 'Fake Local' }, { input: 'sk-rotated' }]), true);
        assert.equal((await api.core.endpoints.resolve('fake-local')).token, 'sk-rotated');
        assert.equal(await run('removeEndpoint', [{ pick: 'Fake Local' }, { confirm: true }]), true);
        assert.equal(await run('removeEndpoint', [{ pick: 'Broken' }, { confirm: true }]), true);
        assert.deepEqual(vscode.workspace.getConfiguration('moonshotSessions').get('endpoints'), []);
        assert.equal(api.core.endpoints.get('fake-local'), undefined);
        assert.ok(api.core.endpoints.get('echo'), 'echo is always there');
      });

      it('the API answers another process with the token, and refuses without it, from a foreign Host or Origin', async () => {
        const { url } = running(api.api.state);
        const auth = { Authorization: `Bearer ${await api.api.token()}` };
        const ok = await requestFromOutside(`${url}/v1/sessions`, auth);
        assert.equal(ok.status, 200);
        assert.ok(ok.body.some((s: SessionMetadata) => s.name === PERSISTED));
        assert.equal((await requestFromOutside(`${url}/v1/sessions`)).status, 401);
        assert.equal((await requestFromOutside(`${url}/v1/sessions`, { ...auth, Host: 'attacker.example' })).status, 403);
        assert.equal((await requestFromOutside(`${url}/v1/sessions`, { ...auth, Origin: 'https://attacker.example' })).status, 403);
        const created = await requestFromOutside(
          `${url}/v1/sessions`,
          { ...auth, 'Content-Type': 'application/json' },
          { name: 'From the API', endpoints: ['echo'] },
        );
        assert.equal(created.status, 200, JSON.stringify(created.body));
        // It appears in the tree at once, without a refresh.
        assert.ok((await treeSessions()).some((n) => n.session.session_id === created.body.session.session_id));
        await api.core.sessions.delete(created.body.session.session_id);
      });

      it('applies API settings without a reload: port, token requirement, allowed origins', async () => {
        const port = await freePort();
        const moved = nextApiState((s) => s.running && s.port === port);
        await setting('api.port', port);
        const state = running(await moved);
        assert.equal((await requestFromOutside(`${state.url}/`)).status, 200);
        const info = JSON.parse(await fs.readFile(join(api.core.storageDir, 'api.json'), 'utf8'));
        assert.equal(info.url, state.url, 'api.json follows the move');

        await setting('api.requireToken', false);
        await setting('api.allowedOrigins', ['http://localhost:3000']);
        // Restarts run one after another, so this one sees both settings.
        const noAuth = running(await api.api.restart());
        const fromPage = await requestFromOutside(`${noAuth.url}/v1/sessions`, { Origin: 'http://localhost:3000' });
        assert.equal(fromPage.status, 200);
        assert.equal((await requestFromOutside(`${noAuth.url}/v1/sessions`, { Origin: 'http://localhost:4000' })).status, 403);
        await setting('api.requireToken', undefined);
        await setting('api.allowedOrigins', undefined);
        await setting('api.port', undefined);
        assert.equal((await requestFromOutside(`${running(await api.api.restart()).url}/v1/sessions`)).status, 401);
      });

      it('takes the next free port when the configured one is in use, and says so', async () => {
        const port = await freePort();
        const blocker: Server = createServer().listen(port, '127.0.0.1');
        await once(blocker, 'listening');
        try {
          const moved = nextApiState((s) => s.running && s.requestedPort === port);
          await setting('api.port', port);
          const state = running(await moved);
          assert.notEqual(state.port, port);
          assert.ok(state.port > port && state.port < port + 50);
          assert.equal(
            apiStatusText(state),
            `$(server) Moonshot API 127.0.0.1:${state.port} $(warning)`,
            'the status bar says where it went, and warns',
          );
        } finally {
          blocker.close();
          const back = nextApiState((s) => s.running && s.requestedPort === 5000);
          await setting('api.port', undefined);
          await back;
        }
      });

      it('a second writer on the same storage (another window, or serve) never collides, and the tree follows it', async () => {
        const cli = spawn(
          process.execPath,
          [join(ext.extensionPath, 'out', 'cli.js'), 'serve', '--storage', api.core.storageDir, '--port', '0', '--no-auth'],
          {
            env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        try {
          const url = await new Promise<string>((resolve, reject) => {
            let out = '';
            cli.stdout!.on('data', (d: Buffer) => {
              out += d.toString();
              const m = /listening on (http:\/\/\S+)/.exec(out);
              if (m) resolve(m[1]!);
            });
            cli.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
          });
          const before = (await api.core.sessions.chatSummaries(session.session_id))[0]!.count;
          const seen = new Promise<void>((resolve) => {
            const sub = api.core.sessions.onDidChange((e) => {
              if (e.type === 'recordsChanged' && e.sessionId === session.session_id) {
                sub.dispose();
                resolve();
              }
            });
          });
          await Promise.all([
            ...Array.from({ length: 10 }, (_, i) =>
              requestFromOutside(
                `${url}/v1/sessions/${session.session_id}/prompt?history=new`,
                { 'Content-Type': 'application/json' },
                { prompt: `other window ${i}` },
              ),
            ),
            ...Array.from({ length: 10 }, (_, i) => api.core.sessions.prompt(session.session_id, `this window ${i}`)),
          ]);
          await seen;
          const history = await api.core.sessions.history(session.session_id, session.chat_ids[0]!);
          assert.deepEqual(history.map((r) => r.chat_record_id), Array.from({ length: before + 20 }, (_, i) => i + 1));
        } finally {
          cli.kill('SIGTERM');
          await once(cli, 'exit');
        }
      });

      it('a second window on the same folder shares the sessions; appends from both are safe', async () => {
        const apiJson = join(api.core.storageDir, 'api.json');
        const readInfo = async () => JSON.parse(await fs.readFile(apiJson, 'utf8')) as { url: string; pid: number; token: string };
        // The second window's API announces itself by rewriting api.json.
        const secondUp = new Promise<void>((resolve) => {
          const watcher = watchFile(api.core.storageDir, async () => {
            const info = await readInfo().catch(() => undefined);
            if (info && info.pid !== process.pid) {
              watcher.close();
              resolve();
            }
          });
        });
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(workspace(), '.open-second-window'), Buffer.from('1'));
        await secondUp;
        const second = await readInfo();
        assert.notEqual(second.url, running(api.api.state).url, 'the second window took another port');
        const auth = { Authorization: `Bearer ${second.token}`, 'Content-Type': 'application/json' };
        const listed = await requestFromOutside(`${second.url}/v1/sessions`, auth);
        assert.ok(
          listed.body.some((s: SessionMetadata) => s.session_id === session.session_id),
          "the second window sees this window's sessions",
        );
        const before = (await api.core.sessions.chatSummaries(session.session_id))[0]!.count;
        await Promise.all([
          ...Array.from({ length: 10 }, (_, i) =>
            requestFromOutside(`${second.url}/v1/sessions/${session.session_id}/prompt?history=new`, auth, {
              prompt: `second window ${i}`,
            }),
          ),
          ...Array.from({ length: 10 }, (_, i) => api.core.sessions.prompt(session.session_id, `first window ${i}`)),
        ]);
        const history = await api.core.sessions.history(session.session_id, session.chat_ids[0]!);
        assert.deepEqual(history.map((r) => r.chat_record_id), Array.from({ length: before + 20 }, (_, i) => i + 1));
        assert.equal(history.filter((r) => r.prompt.startsWith('second window')).length, 10);
      });

      it('leaves a session and the API token for phase 2', async () => {
        await vscode.workspace.fs.writeFile(tokenFile(), Buffer.from(await api.api.token()));
        const count = (await api.core.sessions.chatSummaries(session.session_id))[0]!.count;
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(workspace(), '.phase1-record-count'), Buffer.from(String(count)));
      });
    });
  } else {
    describe('phase 2: after a restart of code-server with the same user data', () => {
      it('finds the session with its whole history, and goes on numbering records', async () => {
        const expected = Number(
          Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(workspace(), '.phase1-record-count'))).toString(),
        );
        const node = (await treeSessions()).find((n) => n.session.name === PERSISTED);
        assert.ok(node, 'the session is in the tree');
        const [chat] = (await api.tree.getChildren(node)) as ChatNode[];
        assert.equal(chat!.count, expected);
        const history = await api.core.sessions.history(node.session.session_id, node.session.chat_ids[0]!);
        assert.equal(history[0]!.prompt, 'Hello World');
        const result = (await run<PromptResult>('sendPrompt', [{ pick: PERSISTED }, { input: 'after the restart' }]))!;
        assert.equal(result[node.session.chat_ids[0]!]![0]!.chat_record_id, expected + 1);
      });

      it('keeps the API token in secret storage across the restart', async () => {
        const before = Buffer.from(await vscode.workspace.fs.readFile(tokenFile())).toString();
        assert.equal(await api.api.token(), before);
        const { url } = running(api.api.state);
        assert.equal((await requestFromOutside(`${url}/v1/sessions/name`, { Authorization: `Bearer ${before}` })).status, 200);
      });
    });
  }
});
