// A Markdown code fence's language (what a model writes after ```) as a VS
// Code language id, so that inserting a code block gives an editor with the
// right highlighting. Kept free of 'vscode' so it can be tested on Node.

const ALIASES: Readonly<Record<string, string>> = {
  ts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript',
  jsx: 'javascriptreact',
  mjs: 'javascript',
  cjs: 'javascript',
  py: 'python',
  python3: 'python',
  sh: 'shellscript',
  bash: 'shellscript',
  zsh: 'shellscript',
  shell: 'shellscript',
  console: 'shellscript',
  yml: 'yaml',
  'c++': 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  h: 'c',
  'c#': 'csharp',
  cs: 'csharp',
  kt: 'kotlin',
  rb: 'ruby',
  rs: 'rust',
  md: 'markdown',
  ps1: 'powershell',
  pwsh: 'powershell',
  golang: 'go',
  htm: 'html',
  jsonc: 'jsonc',
  text: 'plaintext',
  txt: 'plaintext',
  plain: 'plaintext',
};

/**
 * The language id for a fence's language, among the ids VS Code knows
 * (`known`); plain text when the fence names none or one VS Code lacks.
 */
export function languageIdFor(fence: string | undefined, known: readonly string[]): string {
  const name = (fence ?? '').trim().toLowerCase();
  if (name === '') return 'plaintext';
  const id = ALIASES[name] ?? name;
  return known.includes(id) ? id : 'plaintext';
}
