// Bundles every entry point: the extension, the headless CLI, the webview, the
// integration tests (run inside VS Code) and the benchmarks. `--watch` rebuilds
// on change and reports in the format of VS Code's `$esbuild-watch` problem
// matcher. `--production` (the `vscode:prepublish` script, run by `vsce
// package`) builds only what the .vsix ships, minified and without source maps.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

function tsFilesIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Prints build start/end and errors the way `$esbuild-watch` expects. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: watch ? 'silent' : 'warning',
  plugins: watch ? [problemMatcherPlugin] : [],
  external: ['vscode', 'mocha', 'playwright-core'],
};

const shipped = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'out' },
  // package.json's `bin`: run as a command, so it needs its interpreter line.
  { ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'out', banner: { js: '#!/usr/bin/env node' } },
  // The webview script is parsed on every panel open (and after every reload
  // of a hidden panel), so it is always minified: 1.4 MB -> 0.77 MB.
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { webview: 'src/webview/main.ts' }, outdir: 'out', external: [], minify: true },
  // The results matrix's webview: its own bundle (zod/mini, no Markdown), so neither page carries the other's code.
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: { matrix: 'src/matrix/main.ts' }, outdir: 'out', external: [], minify: true },
];
const configs = production
  ? shipped
  : [
    ...shipped,
    { ...common, entryPoints: tsFilesIn('test/integration'), outdir: 'out/test/integration' },
    { ...common, entryPoints: tsFilesIn('bench'), outdir: 'out/bench' },
  ];

if (production) {
  // Maps left by an earlier development build would no longer match the bundles.
  for (const name of ['extension', 'cli', 'webview', 'matrix']) rmSync(join('out', `${name}.js.map`), { force: true });
}

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
