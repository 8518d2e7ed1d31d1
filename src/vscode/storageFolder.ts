// Where the extension keeps sessions. VS Code gives a second window (or a
// reloaded browser tab whose old extension host is still alive) on the same
// folder its own workspace storage, `<hash>-1` ... `<hash>-9`, because the
// first holds `<hash>/vscode.lock`. Sessions would then seem to vanish. The
// store is safe with concurrent writers, so every window uses `<hash>`.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function sharedStorageDir(storagePath: string): string {
  const workspaceDir = dirname(storagePath);
  const match = /^(.*)-([1-9])$/.exec(workspaceDir);
  if (!match || !existsSync(match[1]!)) return storagePath;
  return join(match[1]!, basename(storagePath));
}
