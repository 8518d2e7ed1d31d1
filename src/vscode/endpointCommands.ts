// Commands on endpoints: a guided Add Endpoint, tokens kept in secret
// storage (never in settings), Remove, and Test (one real call).
import * as vscode from 'vscode';
import type { Core } from '../core/core';
import { slugify } from '../core/ids';
import { endpointTokenKey, type SecretStore } from '../core/secrets';
import { listModels } from '../core/connectors/models';
import { probeEndpoint, type ProbeResult } from '../core/connectors/probe';
import type { EndpointView } from '../core/schemas';
import type { UserInput } from './userInput';
import { registerCommand } from './registerCommand';
import { endpointSettingEntries, readEndpointSources, writeEndpointSetting } from './settings';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** Base URLs people use most; any other can be typed. */
export const BASE_URL_PRESETS: { label: string; uri: string; detail: string; needsToken: boolean }[] = [
  { label: 'OpenAI', uri: '', detail: "OpenAI's own API (needs an API key)", needsToken: true },
  { label: 'Ollama', uri: 'http://localhost:11434/v1', detail: 'Ollama on this machine', needsToken: false },
  { label: 'LM Studio', uri: 'http://localhost:1234/v1', detail: "LM Studio's local server", needsToken: false },
  { label: 'vLLM', uri: 'http://localhost:8000/v1', detail: "vLLM's OpenAI-compatible server", needsToken: false },
];

export interface AddedEndpoint {
  id: string;
  name: string;
}

export class EndpointCommands {
  constructor(
    private readonly core: Core,
    private readonly secrets: SecretStore,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    const c = <A extends unknown[]>(id: string, fn: (...args: A) => unknown) => registerCommand(id, fn, this.log);
    return [
      c('addEndpoint', () => this.addEndpoint()),
      c('setEndpointToken', (id?: string) => this.setEndpointToken(id)),
      c('removeEndpoint', (id?: string) => this.removeEndpoint(id)),
      c('testEndpoint', (id?: string) => this.testEndpoint(id)),
    ];
  }

  private async pickEndpoint(placeHolder: string, filter: (v: EndpointView) => boolean = () => true): Promise<EndpointView | undefined> {
    const views = (await this.core.endpoints.list()).filter(filter);
    if (views.length === 0) {
      void vscode.window.showInformationMessage('No endpoint to choose from: add one with "Moonshot: Add Endpoint".');
      return undefined;
    }
    const picked = await this.input().pick(
      views.map((v): Item<EndpointView> => ({
        label: v.name,
        description: v.id,
        detail: [v.connector_type, v.model, v.uri, v.token ? 'token set' : '', v.supported ? '' : 'not supported by this build'].filter(Boolean).join(' · '),
        value: v,
      })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.value;
  }

  async addEndpoint(): Promise<AddedEndpoint | undefined> {
    const ui = this.input();
    const type = await ui.pick(
      [
        { label: 'OpenAI-compatible', description: 'openai-connector', detail: 'OpenAI, Ollama, LM Studio, vLLM, llama.cpp, and any server with /v1/chat/completions', value: 'openai-connector' },
        { label: 'Azure OpenAI', description: 'azure-openai-connector', detail: 'A deployment on an Azure OpenAI resource', value: 'azure-openai-connector' },
      ],
      { title: 'Add Endpoint (1/5): connector type' },
    );
    if (!type) return undefined;

    let uri: string | undefined;
    let needsToken = true;
    if (type.value === 'openai-connector') {
      const preset = await ui.pick(
        [
          ...BASE_URL_PRESETS.map((p): Item<(typeof BASE_URL_PRESETS)[number] | null> => ({ label: p.label, description: p.uri || 'default base URL', detail: p.detail, value: p })),
          { label: 'Other…', detail: 'Type the base URL of an OpenAI-compatible server', value: null },
        ],
        { title: 'Add Endpoint (2/5): base URL' },
      );
      if (!preset) return undefined;
      needsToken = preset.value?.needsToken ?? false;
      uri = preset.value ? preset.value.uri : await ui.input({ title: 'Add Endpoint (2/5): base URL', prompt: 'e.g. http://localhost:8080/v1', validateInput: validateUrl });
    } else {
      uri = await ui.input({ title: 'Add Endpoint (2/5): Azure OpenAI endpoint', prompt: 'https://<resource>.openai.azure.com', validateInput: validateUrl });
    }
    if (uri === undefined) return undefined;

    const token = await ui.input({
      title: 'Add Endpoint (3/5): API key',
      prompt: needsToken ? 'Kept in VS Code secret storage, never in settings' : 'Leave empty if the server needs none (kept in secret storage)',
      password: true,
    });
    if (token === undefined) return undefined;

    const models = type.value === 'openai-connector' && uri ? await listModels(uri, token) : undefined;
    let model: string | undefined;
    if (models && models.length > 0) {
      const picked = await ui.pick([...models.map((m): Item<string | null> => ({ label: m, value: m })), { label: 'Other…', detail: 'Type a model name', value: null }], {
        title: `Add Endpoint (4/5): model (${models.length} listed by the server)`,
      });
      if (!picked) return undefined;
      model = picked.value ?? undefined;
    }
    model ??= await ui.input({
      title: type.value === 'azure-openai-connector' ? 'Add Endpoint (4/5): deployment name' : 'Add Endpoint (4/5): model',
      prompt: 'e.g. gpt-4o, llama3.1',
      validateInput: (v) => (v.trim() ? undefined : 'A model name is needed'),
    });
    if (model === undefined) return undefined;

    const taken = new Set((await this.core.endpoints.list()).map((v) => v.name.toLowerCase()));
    const ids = new Set(this.core.endpoints.ids());
    const name = await ui.input({
      title: 'Add Endpoint (5/5): name',
      value: `${type.value === 'azure-openai-connector' ? 'Azure' : (BASE_URL_PRESETS.find((p) => p.uri === uri)?.label ?? 'Local')} ${model.trim()}`,
      validateInput: (v) => (!slugify(v) ? 'The name needs a letter or digit' : taken.has(v.trim().toLowerCase()) || ids.has(slugify(v)) ? 'An endpoint with this name exists' : undefined),
    });
    if (name === undefined) return undefined;

    const id = slugify(name);
    const entry = { id, name: name.trim(), connector_type: type.value, uri: uri.trim(), model: model.trim(), max_calls_per_second: 5, max_concurrency: 5, params: {} };
    if (token) await this.secrets.set(endpointTokenKey(id), token);
    await writeEndpointSetting([...endpointSettingEntries(), entry]);
    await this.core.endpoints.setSources(readEndpointSources());
    this.log.info(`Added endpoint ${id} (${type.value}, ${uri || 'default base URL'}, ${model})`);
    void vscode.window.showInformationMessage(`Added endpoint "${entry.name}".`, 'Test Endpoint').then((a) => a && vscode.commands.executeCommand('moonshotSessions.testEndpoint', id));
    return { id, name: entry.name };
  }

  async setEndpointToken(endpointId?: string): Promise<boolean> {
    const view = endpointId ? await this.core.endpoints.view(endpointId) : await this.pickEndpoint('Set the token of which endpoint?', (v) => v.connector_type !== 'echo');
    if (!view) return false;
    const token = await this.input().input({ title: `Token for "${view.name}"`, prompt: 'Kept in VS Code secret storage. Leave empty to remove it.', password: true });
    if (token === undefined) return false;
    await this.core.endpoints.update(view.id, { token });
    this.log.info(`${token ? 'Set' : 'Removed'} the token of endpoint ${view.id}`);
    return true;
  }

  async removeEndpoint(endpointId?: string): Promise<boolean> {
    const inSettings = new Set(endpointSettingEntries().map((e) => (typeof e.id === 'string' && e.id ? e.id : slugify(String(e.name ?? '')))));
    const removable = (v: EndpointView) => inSettings.has(v.id) || this.core.endpoints.get(v.id)?.editable === true;
    const view = endpointId ? await this.core.endpoints.view(endpointId) : await this.pickEndpoint('Remove which endpoint? (Endpoints from folders are removed by deleting their files.)', removable);
    if (!view) return false;
    if (!removable(view)) {
      void vscode.window.showWarningMessage(`"${view.name}" comes from ${this.core.endpoints.get(view.id)?.origin}; remove it there.`);
      return false;
    }
    const ok = await this.input().confirm(`Remove endpoint "${view.name}"?`, 'Sessions that use it keep their history; new prompts to it will fail until it is added again.', 'Remove');
    if (!ok) return false;
    if (inSettings.has(view.id)) {
      await writeEndpointSetting(endpointSettingEntries().filter((e) => (typeof e.id === 'string' && e.id ? e.id : slugify(String(e.name ?? ''))) !== view.id));
      await this.secrets.delete(endpointTokenKey(view.id));
      await this.core.endpoints.setSources(readEndpointSources());
    } else {
      await this.core.endpoints.delete(view.id);
    }
    this.log.info(`Removed endpoint ${view.id}`);
    return true;
  }

  async testEndpoint(endpointId?: string): Promise<ProbeResult | undefined> {
    const view = endpointId ? await this.core.endpoints.view(endpointId) : await this.pickEndpoint('Test which endpoint?', (v) => v.supported);
    if (!view) return undefined;
    const endpoint = await this.core.endpoints.resolve(view.id);
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Testing "${view.name}"…`, cancellable: true }, (_p, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return probeEndpoint(endpoint, undefined, controller.signal);
    });
    const ms = Math.round(result.ms);
    if (result.ok) {
      this.log.info(`Test of ${view.id}: answered in ${ms} ms`);
      void vscode.window.showInformationMessage(`"${view.name}" answered in ${ms} ms: ${result.text.slice(0, 80)}`);
    } else {
      this.log.warn(`Test of ${view.id} failed after ${ms} ms: ${result.error}`);
      void vscode.window.showErrorMessage(`"${view.name}" failed after ${ms} ms: ${result.error}`, 'Set Endpoint Token').then((a) => a && vscode.commands.executeCommand('moonshotSessions.setEndpointToken', view.id));
    }
    return result;
  }
}

function validateUrl(v: string): string | undefined {
  try {
    const url = new URL(v.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'Use an http:// or https:// URL';
  } catch {
    return 'Not a URL';
  }
}
