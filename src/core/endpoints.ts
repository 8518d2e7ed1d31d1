// The endpoint registry: the built-in offline `echo`, Moonshot
// `connectors-endpoints/*.json` files (loaded unchanged), JSON files holding
// an array of them, endpoint objects from settings, and endpoints created
// through the API (stored as Moonshot files in the storage folder, their
// tokens in the SecretStore).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  CreateEndpointBodySchema,
  EndpointFileSchema,
  UpdateEndpointBodySchema,
  type EndpointFile,
  type EndpointView,
} from './schemas';
import { formatCreatedDate, isSafeEndpointId, slugify } from './ids';
import { endpointIdOf, modelOf } from './endpointConfig';
import { readJsonFile, readJsonFolder, type LoadProblem } from './jsonFolder';
import { ConflictError, NotFoundError, ValidationError, writingTo } from './errors';
import { endpointTokenKey, type SecretStore } from './secrets';
import { unsupportedReason } from './connectors';
import type { ResolvedEndpoint } from './connectors/types';
import { makeFolder, writeFileAtomic } from './store';
import { Emitter } from './emitter';
import { formatIssues, parseOrThrow } from './validation';

export const ECHO_ENDPOINT_ID = 'echo';

export type EndpointSource =
  | { kind: 'folder'; path: string }
  /** A JSON file holding one endpoint object or an array of them. */
  | { kind: 'file'; path: string }
  | { kind: 'inline'; origin: string; endpoints: readonly unknown[] };

export interface EndpointEntry {
  id: string;
  config: EndpointFile;
  /** Where it came from: a file path, a settings name, "built-in" or "api". */
  origin: string;
  /** Created through the API, so the API may change or delete it. */
  editable: boolean;
  created_date: string;
}

const ECHO: EndpointEntry = {
  id: ECHO_ENDPOINT_ID,
  config: {
    name: 'Echo (offline)',
    connector_type: 'echo',
    uri: '',
    token: '',
    max_calls_per_second: 1000,
    max_concurrency: 1000,
    model: 'echo',
    params: {},
  },
  origin: 'built-in',
  editable: false,
  created_date: formatCreatedDate(new Date(0)),
};

export class EndpointRegistry {
  private entries = new Map<string, EndpointEntry>();
  private loadProblems: LoadProblem[] = [];
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private sources: readonly EndpointSource[],
    private readonly secrets: SecretStore,
    /** Where endpoints created through the API are kept; none: the API cannot create them. */
    private readonly apiDir?: string,
  ) {}

  get problems(): readonly LoadProblem[] {
    return this.loadProblems;
  }

  async setSources(sources: readonly EndpointSource[]): Promise<void> {
    this.sources = sources;
    await this.load();
  }

  /** Reads every source again; a file that cannot be used becomes a problem, never a failure. */
  async load(): Promise<void> {
    const entries = new Map<string, EndpointEntry>([[ECHO.id, ECHO]]);
    const problems: LoadProblem[] = [];
    const add = (entry: EndpointEntry) => {
      if (!isSafeEndpointId(entry.id)) {
        problems.push({ origin: entry.origin, message: `"${entry.id}" is not a usable endpoint id (letters, digits, ".", "_" and "-")` });
        return;
      }
      const clash = entries.get(entry.id);
      const nameClash = [...entries.values()].find((e) => e.config.name.toLowerCase() === entry.config.name.toLowerCase());
      if (clash || nameClash) {
        problems.push({
          origin: entry.origin,
          message: clash
            ? `endpoint id "${entry.id}" is already used by ${clash.origin}; skipped`
            : `endpoint name "${entry.config.name}" is already used by ${nameClash?.origin}; skipped`,
        });
        return;
      }
      entries.set(entry.id, entry);
    };
    if (this.apiDir) for (const e of await this.readFolder(this.apiDir, problems, true)) add(e);
    for (const source of this.sources) {
      if (source.kind === 'folder') for (const e of await this.readFolder(source.path, problems, false)) add(e);
      else if (source.kind === 'file') for (const e of await this.readArrayFile(source.path, problems)) add(e);
      else for (const e of this.readInline(source.origin, source.endpoints, problems)) add(e);
    }
    this.entries = entries;
    this.loadProblems = problems;
    this.changed.fire();
  }

  /** The API's own folder (`editable`) may not exist yet: that is no problem. */
  private async readFolder(dir: string, problems: LoadProblem[], editable: boolean): Promise<EndpointEntry[]> {
    const entries: EndpointEntry[] = [];
    for (const file of await readJsonFolder(dir, problems, { missingIsEmpty: editable })) {
      const parsed = EndpointFileSchema.safeParse(file.value);
      if (!parsed.success) {
        problems.push({ origin: file.path, message: `not a Moonshot endpoint file: ${formatIssues(parsed.error)}` });
        continue;
      }
      const created = typeof parsed.data.created_date === 'string' ? parsed.data.created_date : formatCreatedDate(file.modified);
      entries.push({ id: file.stem, config: parsed.data, origin: file.path, editable, created_date: created });
    }
    return entries;
  }

  private async readArrayFile(path: string, problems: LoadProblem[]): Promise<EndpointEntry[]> {
    const file = await readJsonFile(path, problems);
    if (!file) return [];
    return this.readInline(path, Array.isArray(file.value) ? file.value : [file.value], problems, formatCreatedDate(file.modified));
  }

  private readInline(
    origin: string,
    items: readonly unknown[],
    problems: LoadProblem[],
    created = formatCreatedDate(new Date()),
  ): EndpointEntry[] {
    const entries: EndpointEntry[] = [];
    items.forEach((item, index) => {
      const parsed = EndpointFileSchema.safeParse(item);
      if (!parsed.success) {
        problems.push({ origin: `${origin}[${index}]`, message: `not a Moonshot endpoint: ${formatIssues(parsed.error)}` });
        return;
      }
      entries.push({
        id: endpointIdOf(parsed.data),
        config: parsed.data,
        origin: `${origin}[${index}]`,
        editable: false,
        created_date: created,
      });
    });
    return entries;
  }

  get(id: string): EndpointEntry | undefined {
    return this.entries.get(id);
  }

  /** Why this build cannot call the endpoint, or undefined when it can. */
  unsupportedReason(id: string): string | undefined {
    const entry = this.entries.get(id);
    return entry ? unsupportedReason(entry.config.connector_type) : undefined;
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  private async hasToken(entry: EndpointEntry): Promise<boolean> {
    return Boolean(entry.config.token) || Boolean(await this.secrets.get(endpointTokenKey(entry.id)));
  }

  async view(id: string): Promise<EndpointView> {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError('Endpoint not found');
    const reason = unsupportedReason(entry.config.connector_type);
    const { config } = entry;
    return {
      id: entry.id,
      name: config.name,
      connector_type: config.connector_type,
      uri: config.uri,
      token: (await this.hasToken(entry)) ? '****' : '',
      max_calls_per_second: config.max_calls_per_second,
      max_concurrency: config.max_concurrency,
      model: modelOf(config),
      params: config.params,
      created_date: entry.created_date,
      supported: reason === undefined,
      ...(reason === undefined ? {} : { unsupported_reason: reason }),
    };
  }

  async list(): Promise<EndpointView[]> {
    return Promise.all([...this.entries.keys()].map((id) => this.view(id)));
  }

  /** The endpoint with its token, ready for a connector. */
  async resolve(id: string): Promise<ResolvedEndpoint> {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError(`Endpoint "${id}" not found`);
    const view = await this.view(id);
    const token = (await this.secrets.get(endpointTokenKey(id))) ?? entry.config.token ?? '';
    return { ...view, token };
  }

  private requireApiDir(): string {
    if (!this.apiDir) throw new ConflictError('This registry has no folder for endpoints created through the API');
    return this.apiDir;
  }

  private apiFile(id: string): string {
    return join(this.requireApiDir(), `${id}.json`);
  }

  /** Writes the endpoint's file; a refusal of the storage is a `storage` error. */
  private async writeApiEndpoint(entry: EndpointEntry): Promise<void> {
    await makeFolder(this.requireApiDir());
    // Same shape as Moonshot's files; the token stays in the SecretStore.
    const file = { ...entry.config, token: '', created_date: entry.created_date };
    await writeFileAtomic(this.apiFile(entry.id), JSON.stringify(file, null, 2));
  }

  /** Validates `body` against CreateEndpointBodySchema (its shape is CreateEndpointBody): API bodies arrive here unparsed. */
  async create(body: unknown): Promise<EndpointView> {
    const input = parseOrThrow(CreateEndpointBodySchema, body);
    const reason = unsupportedReason(input.connector_type);
    if (reason) throw new ValidationError(reason, [{ loc: ['body', 'connector_type'], msg: reason, type: 'value_error' }]);
    const id = slugify(input.name);
    if (this.entries.has(id)) throw new ConflictError(`An endpoint with the id "${id}" already exists`);
    if ([...this.entries.values()].some((e) => e.config.name.toLowerCase() === input.name.toLowerCase())) {
      throw new ConflictError(`An endpoint named "${input.name}" already exists`);
    }
    const { model: _fromParams, ...params } = input.params;
    const model = modelOf(input);
    const entry: EndpointEntry = {
      id,
      config: { ...input, model, params, token: '' },
      origin: 'api',
      editable: true,
      created_date: formatCreatedDate(new Date()),
    };
    // Memory changes only once everything is stored: a failure leaves neither a file nor an entry.
    await this.writeApiEndpoint(entry);
    try {
      // No token given: none of an earlier endpoint of this id may be inherited.
      if (input.token) await this.secrets.set(endpointTokenKey(id), input.token);
      else await this.secrets.delete(endpointTokenKey(id));
    } catch (err) {
      // No endpoint file without its token: after a restart it would be there, unable to authenticate.
      await fs.rm(this.apiFile(id), { force: true }).catch(() => undefined);
      throw err;
    }
    this.entries.set(id, entry);
    this.changed.fire();
    return this.view(id);
  }

  /** Validates `body` against UpdateEndpointBodySchema (its shape is UpdateEndpointBody). */
  async update(id: string, body: unknown): Promise<EndpointView> {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError('Endpoint not found');
    const input = parseOrThrow(UpdateEndpointBodySchema, body);
    const { token, ...fields } = input;
    const changes = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length > 0) {
      if (!entry.editable) {
        throw new ConflictError(`Endpoint "${id}" comes from ${entry.origin}; change it there (only its token can be set through the API)`);
      }
      if (changes.connector_type !== undefined) {
        const reason = unsupportedReason(String(changes.connector_type));
        if (reason) throw new ValidationError(reason, [{ loc: ['body', 'connector_type'], msg: reason, type: 'value_error' }]);
      }
      if (typeof changes.name === 'string') {
        const name = changes.name.toLowerCase();
        if ([...this.entries.values()].some((e) => e.id !== id && e.config.name.toLowerCase() === name)) {
          throw new ConflictError(`An endpoint named "${changes.name}" already exists`);
        }
      }
      // Changed in memory only once the file says so too.
      const config = { ...entry.config, ...changes };
      await this.writeApiEndpoint({ ...entry, config });
      entry.config = config;
    }
    if (token !== undefined) {
      if (token === '') await this.secrets.delete(endpointTokenKey(id));
      else await this.secrets.set(endpointTokenKey(id), token);
    }
    this.changed.fire();
    return this.view(id);
  }

  async delete(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError('Endpoint not found');
    if (!entry.editable) throw new ConflictError(`Endpoint "${id}" comes from ${entry.origin}; remove it there`);
    const file = this.apiFile(id);
    await writingTo(file, () => fs.rm(file, { force: true }));
    // The file is gone, so the endpoint is: memory follows before the token is forgotten.
    this.entries.delete(id);
    this.changed.fire();
    await this.secrets.delete(endpointTokenKey(id));
  }
}
