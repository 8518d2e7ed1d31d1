// In a fresh process, as an extension host activating: opens the core on a
// storage folder (following it, as activate() does) and lists its sessions
// once (the Sessions view's first screen). Prints the two times, ms.
import { openCore } from '../src/core/openCore';
import { MemorySecretStore } from '../src/core/secrets';

async function main() {
  const storageDir = process.argv[2] ?? '';
  const cpu = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  let t = performance.now();
  let c = process.cpuUsage();
  const secrets = new MemorySecretStore();
  const core = await openCore({ storageDir, endpointSources: [], promptTemplateFolders: [], secrets, watch: true });
  const open = performance.now() - t;
  const openCpu = cpu(c);
  t = performance.now();
  c = process.cpuUsage();
  const sessions = await core.sessions.list();
  const list = performance.now() - t;
  const listCpu = cpu(c);
  if (sessions.length === 0) throw new Error('no sessions listed');
  console.log(JSON.stringify({ open, list, openCpu, listCpu }));
  core.dispose();
}

void main();
