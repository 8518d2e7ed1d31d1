// Bundles every entry point: the extension, the headless CLI, the webview, the
// integration tests (run inside VS Code) and the benchmarks. `--watch` rebuilds
// on change and reports in the format of VS Code's `$esbuild-watch` problem
// matcher. `--production` (the `vscode:prepublish` script, run by `vsce
// package`) builds only what the .vsix ships, minified and without source maps.
// `--analyze` prints what each bundle holds, file by file (esbuild's metafile).
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const analyze = process.argv.includes('--analyze');

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

// Packages the extension does not need until a feature asks for them: the
// OpenAI SDK (the first model call), the YAML parser (the first YAML dataset).
// The code loads each with `await import('<name>')`; the shipped bundles
// then require out/chunks/<name>.js, bundled from the package on its own, so
// activation does not parse them. A static import of one is a build error:
// it would put the package back into the bundle.
const LAZY_PACKAGES = ['openai', 'yaml'];

const lazyChunksPlugin = {
  name: 'lazy-chunks',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${LAZY_PACKAGES.join('|')})$`) }, (args) => {
      if (args.kind === 'dynamic-import') return { path: `./chunks/${args.path}.js`, external: true };
      const text = `${args.path} is loaded on first use (out/chunks/${args.path}.js): ` +
        `use await import('${args.path}'), or import only its types`;
      return { errors: [{ text }] };
    });
  },
};

// The extension and the CLI both run the core, the API server and the panel
// protocol (src/core, src/server, src/shared): each requires out/core.js, one
// bundle of them, rather than carrying its own copy (the .vsix would hold
// both). An import of one of those modules from the extension's or the CLI's
// own code becomes that module's entry in core.js's `modules`: one instance
// of every module, so classes (instanceof) and state are shared as in a single
// bundle. The list of modules is read at start: --watch needs a restart for a
// new file there.
const SHARED_DIRS = ['src/core', 'src/server', 'src/shared'];
const posixPath = (path) => path.split(sep).join('/');
const isShared = (path) => SHARED_DIRS.some((dir) => path.startsWith(`${dir}/`));
const sharedModules = SHARED_DIRS.flatMap(tsFilesIn).map(posixPath).sort();
const sharedEntry = [
  ...sharedModules.map((file, i) => `import * as m${i} from './${file}';`),
  `export const modules = { ${sharedModules.map((file, i) => `${JSON.stringify(file)}: m${i}`).join(', ')} };`,
].join('\n');

const sharedCorePlugin = {
  name: 'shared-core',
  setup(build) {
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.namespace === 'shared-core') return { path: './core.js', external: true };
      if (args.pluginData === 'shared-core' || isShared(posixPath(relative('.', args.importer)))) return undefined;
      const { kind, importer, resolveDir } = args;
      const resolved = await build.resolve(args.path, { kind, importer, resolveDir, pluginData: 'shared-core' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const file = posixPath(relative('.', resolved.path));
      return isShared(file) ? { path: file, namespace: 'shared-core' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'shared-core' }, (args) => ({
      contents: `module.exports = require('./core.js').modules[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
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
  // markdown-it only decodes entities; the package's main module also brings its
  // encoder's 23 KiB table, which esbuild cannot drop. Its decoder alone is a public entry.
  alias: { entities: 'entities/lib/decode.js' },
};

const webview = { ...common, platform: 'browser', format: 'iife', target: 'es2022', outdir: 'out', external: [], minify: true };

// The extension and the CLI, with the lazy packages left to their chunks (required, not import()ed:
// the same module loader as the rest of the bundle, in VS Code's extension host as in Node).
// Markdown is only parsed for its structure there: see src/core/parseOnlyEntities.ts.
const host = {
  ...common,
  plugins: [...common.plugins, lazyChunksPlugin],
  supported: { 'dynamic-import': false },
  alias: { entities: './src/core/parseOnlyEntities.ts' },
};
const onCore = { ...host, outdir: 'out', plugins: [...host.plugins, sharedCorePlugin] };

const shipped = [
  { ...host, stdin: { contents: sharedEntry, resolveDir: '.', sourcefile: 'core-modules.js' }, outfile: 'out/core.js' },
  { ...onCore, entryPoints: { extension: 'src/extension.ts' } },
  // package.json's `bin`: run as a command, so it needs its interpreter line.
  { ...onCore, entryPoints: { cli: 'src/cli.ts' }, banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: Object.fromEntries(LAZY_PACKAGES.map((name) => [`chunks/${name}`, name])), outdir: 'out' },
  // The webview scripts are parsed on every panel open (and after every reload
  // of a hidden panel), so they are always minified. The highlighter is its own
  // script, fetched by the panel when an answer first has code (highlightLoader.ts).
  { ...webview, entryPoints: { webview: 'src/webview/main.ts' } },
  { ...webview, entryPoints: { 'webview-highlight': 'src/webview/highlighter.ts' }, globalName: 'moonshotHighlighter' },
  // The results matrix's webview: its own bundle (zod/mini, no Markdown), so neither page carries the other's code.
  { ...webview, entryPoints: { matrix: 'src/matrix/main.ts' } },
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
  for (const name of ['core', 'extension', 'cli', 'webview', 'webview-highlight', 'matrix', ...LAZY_PACKAGES.map((p) => `chunks/${p}`)]) {
    rmSync(join('out', `${name}.js.map`), { force: true });
  }
}

if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.all(configs.map((c) => esbuild.build({ ...c, metafile: analyze })));
  if (analyze) for (const { metafile } of results) console.log(await esbuild.analyzeMetafile(metafile));
}
