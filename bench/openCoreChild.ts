// In a fresh process, as an extension host activating: opens the core on a
// storage folder (following it, as activate() does) and lists its sessions
// once (the Sessions view's first screen). Prints the two times, ms.
import { openCore } from '../src/core/core';
import { MemorySecretStore } from '../src/core/secrets';

async function main() {
  const storageDir = process.argv[2] ?? '';
  let t = performance.now();
  const core = await openCore({ storageDir, endpointSources: [], promptTemplateFolders: [], secrets: new MemorySecretStore(), watch: true });
  const open = performance.now() - t;
  t = performance.now();
  const sessions = await core.sessions.list();
  const list = performance.now() - t;
  if (sessions.length === 0) throw new Error('no sessions listed');
  console.log(JSON.stringify({ open, list }));
  core.dispose();
}

void main();
