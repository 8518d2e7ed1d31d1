// The Endpoints view and the endpoint flows in a real VS Code: what the view
// shows for each origin, Edit Endpoint (settings and API endpoints; files say
// where to change them), Test Endpoint's fixes, and Add Endpoint with Back.
// Phase 1 only; it leaves the settings as it found them.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { MoonshotSessionsApi } from '../../src/extension';
import type { EndpointView } from '../../src/core/schemas';
import type { ProbeResult } from '../../src/core/connectors/probe';
import type { EndpointNode } from '../../src/vscode/endpointsTree';
import { readEndpointSources } from '../../src/vscode/configuration';
import { runCommand } from '../../src/vscode/commands';
import { ScriptedInput } from './scriptedInput';
import { EXTENSION_ID, commandRunner, runScripted, setting, withScript, workspaceFolder } from './helpers';
import { freePort } from '../support/ports';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

const phase = process.env.MOONSHOT_IT_PHASE ?? '1';

if (phase === '1') {
  describe('Endpoints view and endpoint flows', function () {
    this.timeout(60_000);
    let api: MoonshotSessionsApi;
    let fake: FakeOpenAI;
    let folder: string;
    const run = commandRunner(() => api);
    const settingEntries = () => vscode.workspace.getConfiguration('moonshotSessions').get<Record<string, unknown>[]>('endpoints') ?? [];
    const reload = () => api.core.endpoints.setSources(readEndpointSources());
    const nodes = async () => (await api.endpointsTree.getChildren()) as EndpointNode[];
    const item = async (id: string) => {
      const node = (await nodes()).find((n) => n.id === id);
      assert.ok(node, `the Endpoints view lists ${id}`);
      return api.endpointsTree.getTreeItem(node);
    };
    /** Resolves when the registry holds an endpoint for which `test` is true. */
    const endpointBecomes = (id: string, test: (v: EndpointView) => boolean) =>
      new Promise<EndpointView>((resolve) => {
        const check = async () => {
          const v = api.core.endpoints.get(id) ? await api.core.endpoints.view(id) : undefined;
          if (v && test(v)) {
            sub.dispose();
            resolve(v);
          }
        };
        const sub = api.core.endpoints.onDidChange(() => void check());
        void check();
      });

    before(async () => {
      api = await vscode.extensions.getExtension<MoonshotSessionsApi>(EXTENSION_ID)!.activate();
      fake = await startFakeOpenAI();
      folder = join(workspaceFolder().fsPath, 'connectors-endpoints');
      await fs.mkdir(folder, { recursive: true });
      await fs.writeFile(
        join(folder, 'from-folder.json'),
        JSON.stringify({
          name: 'From Folder',
          connector_type: 'openai-connector',
          uri: fake.url,
          model: 'alpha',
          token: '',
          max_calls_per_second: 1,
          max_concurrency: 1,
          params: {},
        }),
      );
      await fs.writeFile(
        join(folder, 'bedrock.json'),
        JSON.stringify({ name: 'On Bedrock', connector_type: 'bedrock-connector', uri: '', model: 'claude', token: '', params: {} }),
      );
      await setting('endpointFolders', [folder]);
      await setting('endpoints', [
        { id: 'local', name: 'Local', connector_type: 'openai-connector', uri: fake.url, model: 'alpha', params: { max_attempts: 1 } },
      ]);
      await reload();
      await api.core.endpoints.create({ name: 'Via API', connector_type: 'openai-connector', uri: fake.url, model: 'alpha' });
    });

    after(async () => {
      if (api.core.endpoints.get('via-api')) await api.core.endpoints.delete('via-api');
      await setting('endpoints', undefined);
      await setting('endpointFolders', undefined);
      await reload();
      await fake.close();
    });

    it('lists every endpoint with its model and where it comes from; unsupported ones warn and say why', async () => {
      const echo = await item('echo');
      assert.equal(echo.label, 'Echo (offline)');
      assert.equal(echo.description, 'echo · built-in');
      assert.equal(echo.contextValue, 'endpoint testable', 'echo: Test only');
      const local = await item('local');
      assert.equal(local.description, 'alpha · settings');
      assert.deepEqual(String(local.contextValue).split(' ').sort(), ['editable', 'endpoint', 'removable', 'testable', 'tokenable']);
      const viaApi = await item('via-api');
      assert.equal(viaApi.description, 'alpha · API');
      assert.match(String(viaApi.contextValue), /\beditable\b.*\bremovable\b/);
      const fromFolder = await item('from-folder');
      assert.equal(fromFolder.description, 'alpha · folder');
      assert.match((fromFolder.tooltip as vscode.MarkdownString).value, /from-folder\.json/);
      assert.match(String(fromFolder.contextValue), /\bfromFile\b/);
      assert.doesNotMatch(String(fromFolder.contextValue), /\b(editable|removable)\b/);
      const bedrock = await item('bedrock');
      assert.equal((bedrock.iconPath as vscode.ThemeIcon).id, 'warning');
      assert.match((bedrock.tooltip as vscode.MarkdownString).value, /not supported/);
      assert.doesNotMatch(String(bedrock.contextValue), /\btestable\b/);
      // The inline actions follow the context values: Remove only where it can be removed.
      const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['view/item/context'] as {
        command: string;
        when: string;
        group: string;
      }[];
      const inline = menus.filter((m) => m.when.includes('view == moonshotSessions.endpoints') && m.group.startsWith('inline'));
      const shown = (contextValue: string) =>
        inline
          .filter((m) => new RegExp(/viewItem =~ \/(.*)\//.exec(m.when)![1]!).test(contextValue))
          .map((m) => m.command.replace('moonshotSessions.', ''));
      assert.deepEqual(shown(String(local.contextValue)), ['testEndpoint', 'editEndpoint', 'setEndpointToken', 'removeEndpoint']);
      assert.deepEqual(shown(String(echo.contextValue)), ['testEndpoint']);
      assert.deepEqual(shown(String(fromFolder.contextValue)), ['testEndpoint', 'editEndpoint', 'setEndpointToken']);
    });

    it('refreshes when an endpoint changes', async () => {
      const refreshed = new Promise<void>((resolve) => {
        const sub = api.endpointsTree.onDidChangeTreeData(() => {
          sub.dispose();
          resolve();
        });
      });
      await api.core.endpoints.update('via-api', { model: 'beta' });
      await refreshed;
      assert.equal((await item('via-api')).description, 'beta · API');
    });

    it("Edit Endpoint changes a settings endpoint's model, picked from the server's list; Back returns to the fields", async () => {
      fake.setBehaviour('listed-b', { kind: 'echo' });
      const node = (await nodes()).find((n) => n.id === 'local')!;
      const { result, script } = await runScripted<EndpointView>(
        api,
        'editEndpoint',
        new ScriptedInput([{ pick: 'Model' }, { back: true }, { pick: 'Model' }, { pick: 'listed-b' }]),
        node,
      );
      assert.equal(result.model, 'listed-b');
      assert.deepEqual(
        script.asked.map((a) => `${a.placeHolder?.split(':')[0]} ${a.step}/${a.totalSteps}${a.back ? ' <' : ''}`),
        ['What to change 1/2', 'Model 2/2 <', 'What to change 1/2', 'Model 2/2 <'],
      );
      assert.ok(script.asked[1]!.items!.includes('fake-model'), 'the models /v1/models lists');
      assert.equal(settingEntries().find((e) => e.id === 'local')?.model, 'listed-b', 'written to the setting');
      assert.equal((await item('local')).description, 'listed-b · settings', 'the view shows it');
      assert.match(script.statuses.join('\n'), /model is now "listed-b"/);
    });

    it('Edit Endpoint: params (JSON, checked) and limits in settings; the URL of an API endpoint through the registry', async () => {
      const { script } = await runScripted(
        api,
        'editEndpoint',
        new ScriptedInput([
          { pick: 'Params' },
          { rejects: '[1, 2]' },
          { rejects: '{"temperature": }' },
          { input: '{"temperature": 0.2, "max_attempts": 1}' },
        ]),
        'local',
      );
      assert.deepEqual(
        script.asked[1]!.refusals?.map((r) => r.split(':')[0]),
        ['Params are a JSON object, e.g. {"temperature"', 'Not JSON'],
      );
      assert.deepEqual(settingEntries().find((e) => e.id === 'local')?.params, { temperature: 0.2, max_attempts: 1 });
      await run('editEndpoint', [{ pick: 'Max concurrency' }, { rejects: '0' }, { input: '2' }], 'local');
      assert.equal((await api.core.endpoints.view('local')).max_concurrency, 2);
      const moved = `${fake.origin}/v1/`;
      await run('editEndpoint', [{ pick: 'URL' }, { rejects: 'not a url' }, { input: moved }], 'via-api');
      assert.equal((await api.core.endpoints.view('via-api')).uri, moved);
      const stored = JSON.parse(await fs.readFile(join(api.core.storageDir, 'endpoints', 'via-api.json'), 'utf8'));
      assert.equal(stored.uri, moved, 'the API endpoint file follows');
      assert.equal(settingEntries().some((e) => e.id === 'via-api'), false, 'and nothing went to settings');
    });

    it('Edit Endpoint on an endpoint from a file says where to change it and opens the file', async () => {
      const file = join(folder, 'from-folder.json');
      const opened = new Promise<void>((resolve) => {
        const sub = vscode.window.onDidChangeActiveTextEditor((e) => {
          if (e?.document.uri.fsPath === file) {
            sub.dispose();
            resolve();
          }
        });
      });
      const script = new ScriptedInput([], { clicks: ['Open File'] });
      const result = await withScript(api, script, async () => {
        const r = await runCommand('editEndpoint', 'from-folder');
        await opened;
        return r;
      });
      assert.equal(result, undefined);
      assert.equal(script.notes.length, 1);
      assert.match(
        script.notes[0]!.message,
        new RegExp(`comes from the file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: change it there`),
      );
      assert.deepEqual(script.notes[0]!.actions, ['Open File']);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      // Changed there, it shows here: the folder is watched.
      const followed = endpointBecomes('from-folder', (v) => v.model === 'omega');
      await fs.writeFile(
        file,
        JSON.stringify({ name: 'From Folder', connector_type: 'openai-connector', uri: fake.url, model: 'omega', params: {} }),
      );
      await followed;
      assert.equal((await item('from-folder')).description, 'omega · folder');
    });

    /** Runs Test Endpoint; clicks `fix` in its error and lets the fix's flow answer `answers`; resolves when `done` holds. */
    async function testAndFix(
      id: string,
      fix: string,
      answers: ConstructorParameters<typeof ScriptedInput>[0],
      done: (v: EndpointView) => boolean,
    ): Promise<{ result: ProbeResult; actions: readonly string[] }> {
      const script = new ScriptedInput(answers, { clicks: [fix] });
      return withScript(api, script, async () => {
        const fixed = endpointBecomes(id, done);
        const result = (await runCommand<ProbeResult>('testEndpoint', id))!;
        const note = await script.nextNote((n) => n.level === 'error');
        await fixed;
        assert.equal(script.remaining, 0);
        return { result, actions: note.actions };
      });
    }

    it('Test Endpoint offers the fix that fits, and the fix runs: Edit URL, Set Token, Pick Model', async () => {
      const refused = `http://127.0.0.1:${await freePort()}/v1`;
      await setting('endpoints', [
        ...settingEntries(),
        { id: 'refused', name: 'Refused', connector_type: 'openai-connector', uri: refused, model: 'alpha' },
        { id: 'locked', name: 'Locked', connector_type: 'openai-connector', uri: fake.url, model: 'fail:401' },
      ]);
      await reload();
      const url = await testAndFix('refused', 'Edit URL', [{ input: fake.url }], (v) => v.uri === fake.url);
      assert.equal(url.result.ok, false);
      assert.match(!url.result.ok ? url.result.error : '', /^connection refused/);
      assert.deepEqual(url.actions, ['Edit URL']);

      const token = await testAndFix('locked', 'Set Token', [{ input: 'sk-fixed' }], (v) => v.token === '****');
      assert.deepEqual(token.actions, ['Set Token']);
      assert.equal((await api.core.endpoints.resolve('locked')).token, 'sk-fixed');

      fake.setBehaviour('gone', { kind: 'status', status: 404, message: 'model "gone" not found, try pulling it first' });
      await run('editEndpoint', [{ pick: 'Model' }, { pick: 'gone' }], 'refused');
      const model = await testAndFix('refused', 'Pick Model', [{ pick: 'listed-b' }], (v) => v.model === 'listed-b');
      assert.deepEqual(model.actions, ['Pick Model']);
      assert.equal((await runCommand<ProbeResult>('testEndpoint', 'refused'))!.ok, true, 'fixed');
    });

    it('Add Endpoint: Back on every step, a URL typed into the preset list, a name after the server and model', async () => {
      fake.setBehaviour('typed-model', { kind: 'echo' });
      const { result, script } = await runScripted<{ id: string; name: string }>(
        api,
        'addEndpoint',
        new ScriptedInput([
          { pick: 'OpenAI-compatible' },
          { back: true },
          { pick: 'OpenAI-compatible' },
          { type: fake.url },
          { back: true },
          { type: fake.url },
          { input: '' },
          { back: true },
          { input: '' },
          { pick: 'typed-model' },
          { input: (suggested) => suggested },
        ]),
      );
      assert.deepEqual(
        script.asked.map((a) => `${a.step}/${a.totalSteps}${a.back ? '<' : ''}`),
        ['1/5', '2/5<', '1/5', '2/5<', '3/5<', '2/5<', '3/5<', '4/5<', '3/5<', '4/5<', '5/5<'],
      );
      const host = new URL(fake.url).host;
      assert.equal(result.name, `typed-model (${host})`);
      const entry = settingEntries().find((e) => e.id === result.id);
      assert.equal(entry?.uri, fake.url, 'the typed URL is the base URL');
      assert.equal(entry?.model, 'typed-model');
      assert.ok((await nodes()).some((n) => n.id === result.id), 'the Endpoints view shows it');
      assert.equal(await run('removeEndpoint', [{ confirm: true }], result.id), true);
    });

    it('Add Endpoint says why it could not list the models, takes a typed one, and accepts host:port without http://', async () => {
      const port = await freePort();
      const { script } = await runScripted(
        api,
        'addEndpoint',
        new ScriptedInput([
          { pick: 'OpenAI-compatible' },
          { type: `127.0.0.1:${port}/v1` },
          { input: '' },
          { input: 'llama3.2' },
          { input: undefined },
        ]),
      );
      const modelStep = script.asked[3]!;
      assert.equal(modelStep.kind, 'input');
      assert.match(
        modelStep.prompt ?? '',
        new RegExp(`Could not list the server's models: connection refused \\(127\\.0\\.0\\.1:${port}\\)`),
      );
      assert.equal(script.asked[4]!.value, `llama3.2 (127.0.0.1:${port})`, 'the suggested name');
      assert.ok(!settingEntries().some((e) => String(e.name).startsWith('llama3.2')), 'cancelled: nothing added');
    });
  });
}
