// The OpenAPI document of the local API as a read-only virtual document:
// generated here from the routes, so it opens without a token or a
// running server, and it is never a buffer VS Code asks to save.
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import { buildOpenApiDocument } from '../server/openapi';
import { buildRoutes } from '../server/routes';

export const API_DOCUMENT_SCHEME = 'moonshot-api';
/** The `.json` name gives the document VS Code's JSON language (folding, outline). */
export const API_DOCUMENT_URI = vscode.Uri.from({ scheme: API_DOCUMENT_SCHEME, path: '/openapi.json' });

export class ApiDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly core: Core) {}

  provideTextDocumentContent(): string {
    return `${JSON.stringify(buildOpenApiDocument(buildRoutes(this.core)), null, 2)}\n`;
  }
}
