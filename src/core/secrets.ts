// Where endpoint tokens live. VS Code passes its SecretStorage; headless
// uses a 0600 file in the storage folder. Tokens never go into endpoint
// files written by this program nor into any API answer.
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from './store';

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

/** A JSON object in one file, readable by its owner only. */
export class FileSecretStore implements SecretStore {
  private cache: Record<string, string> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  private async load(): Promise<Record<string, string>> {
    if (!this.cache) {
      try {
        this.cache = JSON.parse(await fs.readFile(this.path, 'utf8')) as Record<string, string>;
      } catch {
        this.cache = {};
      }
    }
    return this.cache;
  }

  private save(): Promise<void> {
    const data = JSON.stringify(this.cache ?? {}, null, 2);
    this.writing = this.writing.then(() => writeFileAtomic(this.path, data, 0o600));
    return this.writing;
  }

  async get(key: string) {
    return (await this.load())[key];
  }
  async set(key: string, value: string) {
    (await this.load())[key] = value;
    await this.save();
  }
  async delete(key: string) {
    delete (await this.load())[key];
    await this.save();
  }
}

export const endpointTokenKey = (endpointId: string) => `endpoint-token:${endpointId}`;
