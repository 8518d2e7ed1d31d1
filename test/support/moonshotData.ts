// The real Moonshot files live beside the project (never copied into it).
// Tests that need them skip with a clear message where they are absent.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MOONSHOT_DATA = resolve(__dirname, '../../../shared/moonshot-data');
export const ENDPOINTS_DIR = join(MOONSHOT_DATA, 'connectors-endpoints');
export const TEMPLATES_DIR = join(MOONSHOT_DATA, 'prompt-templates');

/** Call in a before() hook: skips the suite when the Moonshot data is not beside the project. */
export function requireMoonshotData(ctx: Mocha.Context): void {
  if (!existsSync(ENDPOINTS_DIR) || !existsSync(TEMPLATES_DIR)) {
    console.log(`    (skipped: Moonshot data not found at ${MOONSHOT_DATA}; these tests read the real Moonshot files from there)`);
    ctx.skip();
  }
}

export const DATASETS_DIR = join(MOONSHOT_DATA, 'datasets');

/** Like requireMoonshotData, for the Moonshot datasets. */
export function requireMoonshotDatasets(ctx: Mocha.Context): void {
  if (!existsSync(DATASETS_DIR)) {
    console.log(`    (skipped: Moonshot datasets not found at ${DATASETS_DIR}; these tests read the real Moonshot datasets from there)`);
    ctx.skip();
  }
}
