// api.json in the storage folder tells other tools where the API is and
// how to call it. It holds the token, so only its owner may read it.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/store';

export interface DiscoveryInfo {
  url: string;
  pid: number;
  token: string | null;
}

export const discoveryPath = (storageDir: string) => join(storageDir, 'api.json');

export async function writeDiscoveryFile(storageDir: string, info: DiscoveryInfo): Promise<string> {
  await fs.mkdir(storageDir, { recursive: true });
  const path = discoveryPath(storageDir);
  await writeFileAtomic(path, `${JSON.stringify(info, null, 2)}\n`, 0o600);
  return path;
}

/** Removes the file only if it still describes this process (another may have taken over). */
export async function removeDiscoveryFile(storageDir: string, pid = process.pid): Promise<void> {
  const path = discoveryPath(storageDir);
  try {
    const info = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<DiscoveryInfo>;
    if (info.pid === pid) await fs.rm(path, { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

/** Shows enough of a token to recognise it, never the whole secret. */
export const maskToken = (token: string) => `${token.slice(0, 4)}…`;
