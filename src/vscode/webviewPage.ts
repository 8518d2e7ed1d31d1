// The page both webviews (the chat panel, the results matrix) are loaded in,
// under one Content Security Policy: nothing but the extension's own files,
// and scripts (and an inline style) only with the page's nonce.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface WebviewPageOptions {
  title: string;
  /** The script, under out/; `scriptData` become its data-* attributes (values are URIs or ids). */
  script: string;
  scriptData?: Record<string, string>;
  /** The stylesheet, under media/; `inlineStyle` is added with the nonce. */
  style: string;
  inlineStyle?: string;
  /** The root element the script fills. */
  root: { id: string; data: Record<string, string> };
}

export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPageOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', page.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', page.style));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}${page.inlineStyle === undefined ? '' : ` 'nonce-${nonce}'`}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const data = (attrs: Record<string, string>) =>
    Object.entries(attrs)
      .map(([name, value]) => ` data-${name}="${value}"`)
      .join('');
  const inline = page.inlineStyle === undefined ? '' : `\n<style nonce="${nonce}">${page.inlineStyle}</style>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">${inline}
<title>${page.title}</title>
</head>
<body>
<div id="${page.root.id}"${data(page.root.data)}></div>
<script nonce="${nonce}" src="${script}"${data(page.scriptData ?? {})}></script>
</body>
</html>`;
}
