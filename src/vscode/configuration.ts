// Reads the extension's settings into what the core and the API take.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { EndpointSource } from '../core/endpoints';

export const SECTION = 'moonshotSessions';
/** The `origin` of endpoints from the `endpoints` setting (followed by `[index]` in the registry). */
export const ENDPOINT_SETTING_ORIGIN = `setting ${SECTION}.endpoints`;

export interface ApiSettings {
  enabled: boolean;
  port: number;
  host: string;
  requireToken: boolean;
  allowedOrigins: string[];
}

/** A folder setting as a path: `~/` is the home folder, relative paths start at the first workspace folder. */
function resolveFolder(folder: string): string {
  if (folder === '~' || folder.startsWith('~/')) return join(homedir(), folder.slice(1));
  if (isAbsolute(folder)) return folder;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return root ? join(root, folder) : folder;
}

export function readApiSettings(): ApiSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    enabled: c.get<boolean>('api.enabled', true),
    port: c.get<number>('api.port', 5000),
    host: c.get<string>('api.host', '127.0.0.1') || '127.0.0.1',
    requireToken: c.get<boolean>('api.requireToken', true),
    allowedOrigins: c.get<string[]>('api.allowedOrigins', []),
  };
}

export function readEndpointSources(): EndpointSource[] {
  const c = vscode.workspace.getConfiguration(SECTION);
  return [
    { kind: 'inline', origin: ENDPOINT_SETTING_ORIGIN, endpoints: c.get<unknown[]>('endpoints', []) },
    ...c.get<string[]>('endpointFolders', []).map((f): EndpointSource => ({ kind: 'folder', path: resolveFolder(f) })),
  ];
}

export function readPromptTemplateFolders(): string[] {
  return vscode.workspace.getConfiguration(SECTION).get<string[]>('promptTemplateFolders', []).map(resolveFolder);
}

export function readDatasetFolders(): string[] {
  return vscode.workspace.getConfiguration(SECTION).get<string[]>('datasetFolders', []).map(resolveFolder);
}

/** Endpoint objects of the `endpoints` setting, to add to or remove from. */
export function endpointSettingEntries(): Record<string, unknown>[] {
  return vscode.workspace.getConfiguration(SECTION).get<Record<string, unknown>[]>('endpoints', []);
}

/** Writes the `endpoints` setting where the user keeps it (workspace if set there, else user settings). */
export async function writeEndpointSetting(entries: Record<string, unknown>[]): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const inspected = c.inspect('endpoints');
  const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update('endpoints', entries, target);
}
