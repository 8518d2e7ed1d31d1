// Where endpoint tokens live. VS Code passes its SecretStorage; headless
// uses a 0600 file in the storage folder. Tokens never go into endpoint
// files written by this program nor into any API answer.
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from './store';
import { asStorageError } from './errors';

export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

/**
 * A JSON object in one file, readable by its owner only. What `get`
 * answers is what the file holds: a write the storage refuses changes
 * nothing, and does not stop the writes after it.
 */
export class FileSecretStore implements SecretStore {
  private values: Promise<Record<string, string>> | undefined;
  /** Writes run one after another, each from what the one before it left. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  private load(): Promise<Record<string, string>> {
    this.values ??= this.read().catch((err: unknown) => {
      // Unreadable for now: the next call reads again.
      this.values = undefined;
      throw err;
    });
    return this.values;
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw asStorageError(err, this.path);
    }
    try {
      const data: unknown = JSON.parse(text);
      if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, string>;
    } catch {
      // Damaged beyond use: start again rather than fail every endpoint.
    }
    return {};
  }

  private change(apply: (values: Record<string, string>) => void): Promise<void> {
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        const next = { ...(await this.load()) };
        apply(next);
        await writeFileAtomic(this.path, JSON.stringify(next, null, 2), 0o600);
        this.values = Promise.resolve(next);
      });
    this.queue = run;
    return run;
  }

  async get(key: string) {
    return (await this.load())[key];
  }
  set(key: string, value: string) {
    return this.change((values) => {
      values[key] = value;
    });
  }
  delete(key: string) {
    return this.change((values) => {
      delete values[key];
    });
  }
}

export const endpointTokenKey = (endpointId: string) => `endpoint-token:${endpointId}`;
