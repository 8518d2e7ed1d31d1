// The core's SecretStore on VS Code's SecretStorage (the OS keychain).
import type * as vscode from 'vscode';
import type { SecretStore } from '../core/secrets';

export class VscodeSecretStore implements SecretStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  async get(key: string) {
    return this.secrets.get(key);
  }
  async set(key: string, value: string) {
    await this.secrets.store(key, value);
  }
  async delete(key: string) {
    await this.secrets.delete(key);
  }
}
