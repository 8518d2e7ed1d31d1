// What a user downloads and what VS Code parses: the packaged .vsix and the
// production bundles in it. Packaging runs the production build
// (vscode:prepublish), so the bundles are read from out/ right after it:
// minified, as shipped, not the development build the other rows use.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packagedVsixKiB } from './vsixSize';

export interface BundleSizeRow {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

const OUT = resolve(__dirname, '..'); // this runs as out/bench/*.js

const kib = (file: string) => (existsSync(join(OUT, file)) ? statSync(join(OUT, file)).size / 1024 : NaN);

function row(name: string, value: number, limit?: number): BundleSizeRow {
  return { name, value, unit: 'KiB', target: limit === undefined ? '' : `< ${limit}`, ok: limit === undefined || value < limit };
}

export function measureBundleSizes(): BundleSizeRow[] {
  const vsix = packagedVsixKiB();
  const extension = kib('extension.js');
  const core = kib('core.js');
  return [
    row('packaged extension (.vsix, npm run package)', vsix, 500),
    row('out/webview.js: the chat panel, parsed on every open', kib('webview.js'), 300),
    row('out/webview-highlight.js: fetched by the panel at its first code block', kib('webview-highlight.js')),
    row('out/matrix.js: the results matrix, parsed on every open', kib('matrix.js'), 100),
    row('out/extension.js (production)', extension, 600),
    row('activation loads: out/extension.js + out/core.js', extension + core, 600),
    row('out/cli.js + out/core.js: the headless CLI', kib('cli.js') + core),
    row('out/chunks/openai.js: the OpenAI SDK, at the first model call', kib('chunks/openai.js')),
    row('out/chunks/yaml.js: the YAML parser, at the first YAML dataset', kib('chunks/yaml.js')),
  ];
}
