import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import stylistic from '@stylistic/eslint-plugin';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '.moonshot-sample/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The format the code is written in, checked by `npm run lint` and applied by `npm run format`
    // (eslint --fix). No line passes 140 characters: a long text is split into parts joined by +.
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/indent': ['error', 2, { SwitchCase: 1 }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/max-len': ['error', { code: 140 }],
    },
  },
  {
    // UI code reads as a list of cases: an if, a switch or a lookup, never a ternary inside a ternary.
    files: ['src/vscode/**/*.ts', 'src/webview/**/*.ts', 'src/matrix/**/*.ts', 'src/extension.ts'],
    rules: { 'no-nested-ternary': 'error' },
  },
  {
    // The results matrix's bundle stays light: zod/mini only, and nothing of the core.
    files: ['src/matrix/**/*.ts', 'src/shared/matrixProtocol.ts', 'src/shared/runProgressText.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', message: 'Use zod/mini in the matrix webview.' },
            { name: 'vscode', message: 'Webview code runs in a browser.' },
          ],
          patterns: ['**/core/**'],
        },
      ],
    },
  },
  {
    // Tests read JSON answers whose shape they then assert.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // `import { z } from 'zod'` reaches zod through a namespace re-export that esbuild cannot
    // tree-shake: every bundle would carry all of zod's locales (about 260 KiB minified).
    files: ['**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value=/^zod/][importKind!='type'] > " +
            ":matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
          message: "Use import * as z from 'zod' (or 'zod/mini').",
        },
      ],
    },
  },
  {
    // The chat panel's script stays small (see esbuild.mjs): zod/mini rather than classic zod
    // (core/schemas.ts is classic; its types are free), and the highlighter only in its own script.
    files: ['src/webview/**/*.ts', 'src/shared/**/*.ts', 'src/core/recordSchemas.ts'],
    ignores: ['src/webview/highlighter.ts', 'src/webview/highlight.d.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zod', allowTypeImports: true, message: 'Use zod/mini here: classic zod would double webview.js.' }],
          patterns: [
            {
              group: ['**/core/schemas'],
              allowTypeImports: true,
              message: 'core/schemas is classic zod: take schemas from core/recordSchemas.',
            },
            {
              group: ['highlight.js', 'highlight.js/*', '**/highlighter'],
              allowTypeImports: true,
              message: 'The highlighter is its own script, loaded by highlightLoader.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The core runs headless: it must never depend on VS Code.
    files: ['src/core/**/*.ts', 'src/server/**/*.ts', 'src/cli.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core and src/server run without VS Code.' }] }] },
  },
);
