// Commands on endpoints: a guided Add Endpoint, Edit Endpoint (URL, model,
// params, limits), tokens kept in secret storage (never in settings), Remove,
// and Test (one real call, and the fix that fits when it fails).
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import type { EndpointEntry } from '../core/endpoints';
import { NotFoundError } from '../core/errors';
import { endpointIdOf } from '../core/endpointConfig';
import { endpointTokenKey, type SecretStore } from '../core/secrets';
import { fetchModels, type ModelList } from '../core/connectors/models';
import { probeEndpoint, type ProbeResult } from '../core/connectors/probe';
import type { EndpointView } from '../core/schemas';
import type { UserInput } from './userInput';
import { notify, offerCommand, offerOpen, type CommandTable, type Offer } from './commands';
import { runFlow, askOnce, type Ask, type Step } from './flow';
import { endpointSettingEntries, readEndpointSources, writeEndpointSetting } from './configuration';
import {
  BASE_URL_PRESETS,
  parseParams,
  suggestEndpointName,
  typedUrl,
  validateEndpointName,
  validateLimit,
  validateUrl,
  type BaseUrlPreset,
} from './endpointForm';
import { FIX_TITLES, fixesFor, type EndpointFix } from './endpointFixes';
import { isEditable, isRemovable, originOf } from './endpointOrigin';
import type { EndpointNode } from './endpointsTree';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** What an endpoint command may be called with: a node of the Endpoints view, an id, or nothing (ask). */
export type EndpointArg = EndpointNode | string | undefined;

/** The fields Edit Endpoint changes. */
export type EndpointField = 'uri' | 'model' | 'params' | 'max_calls_per_second' | 'max_concurrency';

export interface AddedEndpoint {
  id: string;
  name: string;
}

const DEFAULT_LIMIT = 5;
const CONNECTOR_TYPES: Item<string>[] = [
  {
    label: 'OpenAI-compatible',
    description: 'openai-connector',
    detail: 'OpenAI, Ollama, LM Studio, vLLM, llama.cpp, and any server with /v1/chat/completions',
    value: 'openai-connector',
  },
  {
    label: 'Azure OpenAI',
    description: 'azure-openai-connector',
    detail: 'A deployment on an Azure OpenAI resource',
    value: 'azure-openai-connector',
  },
];

/** The model lists one flow fetched, by URL and token: going Back to the model step does not wait for the server again. */
class ModelLists {
  private readonly lists = new Map<string, Promise<ModelList>>();

  get(uri: string, token: string): Promise<ModelList> {
    const key = JSON.stringify([uri, token]);
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = fetchModels(uri, token)));
    return list;
  }
}

export class EndpointCommands {
  constructor(
    private readonly core: Core,
    private readonly secrets: SecretStore,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handlers(): Pick<CommandTable, 'addEndpoint' | 'editEndpoint' | 'setEndpointToken' | 'removeEndpoint' | 'testEndpoint'> {
    return {
      addEndpoint: () => this.addEndpoint(),
      editEndpoint: (arg?: EndpointArg, field?: EndpointField) => this.editEndpoint(arg, field),
      setEndpointToken: (arg?: EndpointArg) => this.setEndpointToken(arg),
      removeEndpoint: (arg?: EndpointArg) => this.removeEndpoint(arg),
      testEndpoint: (arg?: EndpointArg) => this.testEndpoint(arg),
    };
  }

  private entry(id: string): EndpointEntry {
    const entry = this.core.endpoints.get(id);
    if (!entry) throw new NotFoundError(`Endpoint "${id}" is not configured (any more)`);
    return entry;
  }

  /** The endpoint the command was given, if any. */
  private async given(arg: EndpointArg): Promise<EndpointView | undefined> {
    if (typeof arg === 'string') return this.core.endpoints.view(arg);
    if (arg?.kind === 'endpoint') return this.core.endpoints.view(arg.id);
    return undefined;
  }

  /** Asks for an endpoint among those `filter` keeps; undefined (and a hint) when there is none. */
  private async askEndpoint(ask: Ask, placeHolder: string, filter: (v: EndpointView) => boolean): Promise<EndpointView | undefined> {
    const views = (await this.core.endpoints.list()).filter(filter);
    if (views.length === 0) {
      notify(
        this.input(),
        'info',
        'No endpoint to choose from: add one with "Moonshot: Add Endpoint".',
        offerCommand('Add Endpoint', 'addEndpoint'),
      );
      return undefined;
    }
    const picked = await ask.pick({
      placeHolder,
      matchOnDescription: true,
      items: views.map((v): Item<EndpointView> => ({
        label: v.name,
        description: v.id,
        detail: [v.connector_type, v.model, v.uri, v.token ? 'token set' : '', v.supported ? '' : 'not supported by this build']
          .filter(Boolean)
          .join(' · '),
        value: v,
      })),
    });
    return picked.value;
  }

  /** The given endpoint, or one the user picks (a one-question flow). */
  private async endpointFrom(
    arg: EndpointArg,
    placeHolder: string,
    filter: (v: EndpointView) => boolean,
  ): Promise<EndpointView | undefined> {
    const given = await this.given(arg);
    if (given || arg) return given;
    return (await askOnce(this.input(), (ask) => this.askEndpoint(ask, placeHolder, filter))) ?? undefined;
  }

  /** Asks for a model: picked from the server's list when it has one, else typed, saying why there is no list. */
  private async askModel(
    ask: Ask,
    lists: ModelLists,
    title: string,
    connectorType: string,
    uri: string,
    token: string,
    current: string,
  ): Promise<string> {
    const list = connectorType === 'openai-connector' ? await lists.get(uri, token) : undefined;
    if (list?.ok && list.models.length > 0) {
      const picked = await ask.pick({
        title,
        placeHolder: `Model: pick one of the ${list.models.length} the server lists, or type its name`,
        items: [
          // The model it has now stays one Enter away, even when the server does not list it.
          ...(current && !list.models.includes(current)
            ? [{ label: current, description: 'current (the server does not list it)', value: current, picked: true }]
            : []),
          ...list.models.map((m): Item<string> => ({
            label: m,
            value: m,
            ...(m === current ? { description: 'current', picked: true } : {}),
          })),
        ],
        typed: (value) => (list.models.includes(value) ? undefined : { label: value, description: 'use this model name', value }),
      });
      return picked.value;
    }
    let why = '';
    if (list?.ok) why = 'The server lists no models. ';
    else if (list) why = `Could not list the server's models: ${list.reason}. `;
    const what = connectorType === 'azure-openai-connector' ? 'deployment' : 'model';
    return ask.input({
      title,
      placeHolder: `${what[0]?.toUpperCase()}${what.slice(1)} name`,
      prompt: `${why}Type the ${what} name, e.g. gpt-4o, llama3.2`,
      value: current,
      validate: (v) => (v.trim() ? undefined : 'A model name is needed'),
    });
  }

  private takenNames(): Set<string> {
    return new Set([
      ...this.core.endpoints.ids(),
      ...this.core.endpoints.ids().map((id) => this.core.endpoints.get(id)?.config.name.toLowerCase() ?? ''),
    ]);
  }

  async addEndpoint(): Promise<AddedEndpoint | undefined> {
    const lists = new ModelLists();
    const d = {
      type: 'openai-connector',
      preset: undefined as BaseUrlPreset | undefined,
      customUrl: false,
      uri: '',
      token: '',
      model: '',
      name: '',
    };
    const taken = this.takenNames();

    const typeStep: Step = async (ask) => {
      d.type = (
        await ask.pick({
          title: 'Add Endpoint',
          placeHolder: 'Connector type',
          items: CONNECTOR_TYPES.map((t) => ({ ...t, picked: t.value === d.type })),
        })
      ).value;
      return d.type === 'openai-connector' ? presetStep : urlStep;
    };
    const presetStep: Step = async (ask) => {
      const picked = await ask.pick<Item<BaseUrlPreset | string | null>>({
        title: 'Add Endpoint',
        placeHolder: 'Base URL: pick a server, or type its URL (e.g. http://localhost:8080/v1)',
        items: [
          ...BASE_URL_PRESETS.map((p): Item<BaseUrlPreset | string | null> => ({
            label: p.label,
            description: p.uri || 'default base URL',
            detail: p.detail,
            value: p,
          })),
          { label: 'Other…', detail: 'Type the base URL of an OpenAI-compatible server', value: null },
        ],
        typed: (value) => {
          const url = typedUrl(value);
          return url ? { label: url, description: 'use this base URL', value: url } : undefined;
        },
      });
      d.customUrl = picked.value === null;
      if (picked.value === null) return urlStep;
      if (typeof picked.value === 'string') {
        d.preset = undefined;
        d.uri = picked.value;
      } else {
        d.preset = picked.value;
        d.uri = picked.value.uri;
      }
      return tokenStep;
    };
    const urlStep: Step = async (ask) => {
      const azure = d.type === 'azure-openai-connector';
      d.uri = (
        await ask.input({
          title: 'Add Endpoint',
          placeHolder: azure ? 'Azure OpenAI endpoint' : 'Base URL',
          prompt: azure
            ? 'The resource endpoint, https://<resource>.openai.azure.com'
            : 'The base URL of an OpenAI-compatible server, e.g. http://localhost:8080/v1',
          value: d.uri,
          validate: validateUrl,
        })
      ).trim();
      d.preset = undefined;
      return tokenStep;
    };
    const tokenStep: Step = async (ask) => {
      const needsToken = d.type === 'azure-openai-connector' || (d.preset?.needsToken ?? false);
      d.token = await ask.input({
        title: 'Add Endpoint',
        placeHolder: 'API key',
        prompt: needsToken
          ? 'Kept in VS Code secret storage, never in settings'
          : 'Leave empty if the server needs none (kept in secret storage)',
        value: d.token,
        password: true,
      });
      return modelStep;
    };
    const modelStep: Step = async (ask) => {
      d.model = (await this.askModel(ask, lists, 'Add Endpoint', d.type, d.uri, d.token, d.model)).trim();
      return nameStep;
    };
    const nameStep: Step = async (ask) => {
      d.name = (
        await ask.input({
          title: 'Add Endpoint',
          placeHolder: 'Name',
          prompt: 'Shown in the chat panel and the tree; the id is made from it',
          value: suggestEndpointName(d.type, d.uri, d.model, taken),
          validate: (v) => validateEndpointName(v, taken),
        })
      ).trim();
    };

    const done = await runFlow(this.input(), typeStep, { totalSteps: () => (d.customUrl ? 6 : 5) });
    if (!done) return undefined;

    const entry = {
      id: endpointIdOf({ name: d.name }),
      name: d.name,
      connector_type: d.type,
      uri: d.uri,
      model: d.model,
      max_calls_per_second: DEFAULT_LIMIT,
      max_concurrency: DEFAULT_LIMIT,
      params: {},
    };
    if (d.token) await this.secrets.set(endpointTokenKey(entry.id), d.token);
    await writeEndpointSetting([...endpointSettingEntries(), entry]);
    await this.core.endpoints.setSources(readEndpointSources());
    this.log.info(`Added endpoint ${entry.id} (${d.type}, ${d.uri || 'default base URL'}, ${d.model})`);
    notify(this.input(), 'info', `Added endpoint "${entry.name}".`, offerCommand('Test Endpoint', 'testEndpoint', entry.id));
    return { id: entry.id, name: entry.name };
  }

  /** Edits one field (or asks which); returns the endpoint as it is afterwards. */
  async editEndpoint(arg?: EndpointArg, field?: EndpointField): Promise<EndpointView | undefined> {
    let view = await this.given(arg);
    const lists = new ModelLists();
    let chosen = field;
    let change: Partial<Record<EndpointField, unknown>> = {};
    if (view && !isEditable(originOf(this.entry(view.id)))) {
      this.explainReadOnly(view);
      return undefined;
    }

    const endpointStep: Step = async (ask) => {
      view = await this.askEndpoint(ask, 'Edit which endpoint? (Endpoints from folders are edited in their files.)', (v) =>
        isEditable(originOf(this.entry(v.id))),
      );
      if (view) return chosen ? valueStep : fieldStep;
    };
    const fieldStep: Step = async (ask) => {
      const v = view as EndpointView;
      const items: Item<EndpointField>[] = [
        { label: 'URL', description: v.uri || 'default (OpenAI)', value: 'uri' },
        { label: 'Model', description: v.model || 'none', value: 'model' },
        {
          label: 'Params',
          description: JSON.stringify(v.params),
          detail: 'JSON: temperature, max_tokens, timeout, max_attempts, system_prompt …',
          value: 'params',
        },
        { label: 'Max calls per second', description: String(v.max_calls_per_second), value: 'max_calls_per_second' },
        { label: 'Max concurrency', description: String(v.max_concurrency), detail: 'calls in flight at once', value: 'max_concurrency' },
      ];
      chosen = (
        await ask.pick({
          title: `Edit "${v.name}"`,
          placeHolder: 'What to change',
          items: items.map((i) => ({ ...i, picked: i.value === chosen })),
        })
      ).value;
      return valueStep;
    };
    const valueStep: Step = async (ask) => {
      const v = view as EndpointView;
      const title = `Edit "${v.name}"`;
      switch (chosen) {
        case 'uri': {
          const azure = v.connector_type === 'azure-openai-connector';
          const uri = await ask.input({
            title,
            placeHolder: 'URL',
            prompt: azure ? 'https://<resource>.openai.azure.com' : 'The base URL, e.g. http://localhost:11434/v1 (empty: OpenAI)',
            value: v.uri,
            validate: (u) => (!azure && u.trim() === '' ? undefined : validateUrl(u)),
          });
          change = { uri: uri.trim() };
          break;
        }
        case 'model': {
          const token = (await this.core.endpoints.resolve(v.id)).token;
          change = { model: (await this.askModel(ask, lists, title, v.connector_type, v.uri, token, v.model)).trim() };
          break;
        }
        case 'params': {
          const problem = (t: string) => {
            const parsed = parseParams(t);
            return parsed.ok ? undefined : parsed.problem;
          };
          const parsed = parseParams(
            await ask.input({
              title,
              placeHolder: 'Params (JSON)',
              prompt: 'A JSON object, e.g. {"temperature": 0.5, "timeout": 60}',
              value: JSON.stringify(v.params),
              validate: problem,
            }),
          );
          if (parsed.ok) change = { params: parsed.params };
          break;
        }
        case 'max_calls_per_second':
        case 'max_concurrency': {
          const label = chosen === 'max_concurrency' ? 'max concurrency (calls in flight at once)' : 'max calls per second';
          change = {
            [chosen]: Number(
              (
                await ask.input({
                  title,
                  placeHolder: label,
                  prompt: `A number greater than 0 (now ${v[chosen]})`,
                  value: String(v[chosen]),
                  validate: validateLimit,
                })
              ).trim(),
            ),
          };
          break;
        }
      }
    };

    let first = endpointStep;
    if (view) first = chosen ? valueStep : fieldStep;
    const done = await runFlow(this.input(), first, { totalSteps: () => (arg ? 0 : 1) + (field ? 1 : 2) });
    if (!done || !view || Object.keys(change).length === 0) return undefined;
    const updated = await this.applyChange(view, change);
    const [[key, value]] = Object.entries(change) as [[string, unknown]];
    this.log.info(`Edited endpoint ${view.id}: ${key} = ${JSON.stringify(value)}`);
    this.input().status(`Endpoint "${view.name}": ${key} is now ${typeof value === 'string' ? `"${value}"` : JSON.stringify(value)}`);
    return updated;
  }

  private async applyChange(view: EndpointView, change: Partial<Record<EndpointField, unknown>>): Promise<EndpointView> {
    const origin = originOf(this.entry(view.id));
    if (origin.kind === 'api') return this.core.endpoints.update(view.id, change);
    const entries = endpointSettingEntries();
    const index = entries.findIndex((e) => endpointIdOf(e) === view.id);
    if (index < 0) throw new NotFoundError(`"${view.name}" is no longer in the setting moonshotSessions.endpoints`);
    await writeEndpointSetting(entries.map((e, i) => (i === index ? { ...e, ...change } : e)));
    await this.core.endpoints.setSources(readEndpointSources());
    return this.core.endpoints.view(view.id);
  }

  /** Endpoints from files (and the built-in one) are changed where they come from: say where. */
  private explainReadOnly(view: EndpointView): void {
    const origin = originOf(this.entry(view.id));
    if (origin.kind === 'file') {
      notify(
        this.input(),
        'info',
        `"${view.name}" comes from the file ${origin.path}: change it there (the view follows the file).`,
        offerOpen('Open File', vscode.Uri.file(origin.path)),
      );
    } else {
      notify(
        this.input(),
        'info',
        `"${view.name}" is built in and cannot be changed. Add Endpoint adds one you can edit.`,
        offerCommand('Add Endpoint', 'addEndpoint'),
      );
    }
  }

  async setEndpointToken(arg?: EndpointArg): Promise<boolean> {
    let view = await this.given(arg);
    let token = '';
    const tokenStep: Step = async (ask) => {
      token = await ask.input({
        title: `Token for "${view?.name}"`,
        prompt: 'Kept in VS Code secret storage. Leave empty to remove it.',
        password: true,
      });
    };
    const endpointStep: Step = async (ask) => {
      view = await this.askEndpoint(ask, 'Set the token of which endpoint?', (v) => v.connector_type !== 'echo');
      if (view) return tokenStep;
    };
    const done = await runFlow(this.input(), view ? tokenStep : endpointStep, { totalSteps: () => (arg ? 1 : 2) });
    if (!done || !view) return false;
    await this.core.endpoints.update(view.id, { token });
    this.log.info(`${token ? 'Set' : 'Removed'} the token of endpoint ${view.id}`);
    this.input().status(`${token ? 'Token set' : 'Token removed'} for "${view.name}"`);
    return true;
  }

  async removeEndpoint(arg?: EndpointArg): Promise<boolean> {
    const removable = (v: EndpointView) => isRemovable(originOf(this.entry(v.id)));
    const view = await this.endpointFrom(
      arg,
      'Remove which endpoint? (Endpoints from folders are removed by deleting their files.)',
      removable,
    );
    if (!view) return false;
    if (!removable(view)) {
      this.explainReadOnly(view);
      return false;
    }
    const ok = await this.input().confirm(
      `Remove endpoint "${view.name}"?`,
      'Sessions that use it keep their history; new prompts to it will fail until it is added again.',
      'Remove',
    );
    if (!ok) return false;
    if (originOf(this.entry(view.id)).kind === 'settings') {
      await writeEndpointSetting(endpointSettingEntries().filter((e) => endpointIdOf(e) !== view.id));
      await this.secrets.delete(endpointTokenKey(view.id));
      await this.core.endpoints.setSources(readEndpointSources());
    } else {
      await this.core.endpoints.delete(view.id);
    }
    this.log.info(`Removed endpoint ${view.id}`);
    this.input().status(`Removed endpoint "${view.name}"`);
    return true;
  }

  async testEndpoint(arg?: EndpointArg): Promise<ProbeResult | undefined> {
    const view = await this.endpointFrom(arg, 'Test which endpoint?', (v) => v.supported);
    if (!view) return undefined;
    if (!view.supported) {
      notify(this.input(), 'warning', `"${view.name}" cannot be called: ${view.unsupported_reason ?? 'not supported'}`);
      return undefined;
    }
    const endpoint = await this.core.endpoints.resolve(view.id);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Testing "${view.name}"…`, cancellable: true },
      (_p, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return probeEndpoint(endpoint, undefined, controller.signal);
      },
    );
    const ms = Math.round(result.ms);
    if (result.ok) {
      this.log.info(`Test of ${view.id}: answered in ${ms} ms`);
      notify(this.input(), 'info', `"${view.name}" answered in ${ms} ms: ${result.text.slice(0, 80)}`);
    } else {
      this.log.warn(`Test of ${view.id} failed after ${ms} ms: ${result.error}`);
      const offers = fixesFor(result).map((fix) => this.fixOffer(view.id, fix));
      notify(this.input(), 'error', `"${view.name}" failed after ${ms} ms: ${result.error}`, ...offers);
    }
    return result;
  }

  private fixOffer(id: string, fix: EndpointFix): Offer {
    const title = FIX_TITLES[fix];
    if (fix === 'setToken') return offerCommand(title, 'setEndpointToken', id);
    return offerCommand(title, 'editEndpoint', id, fix === 'editUrl' ? 'uri' : 'model');
  }
}
