// Rasterises assets/icon.svg into media/icon.png (the 128x128 Marketplace icon)
// with the Chromium the tests use, so no image tool is needed. Run it after
// editing the SVG and commit both: the PNG is not built by `npm run build`.
//
//   node scripts/render-icon.mjs
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from './code-server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 128;
const svg = readFileSync(join(REPO, 'assets', 'icon.svg'), 'utf8');
const out = join(REPO, 'media', 'icon.png');

const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${svg}`);
  // Transparent outside the rounded square.
  await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
  console.log(`render-icon: wrote ${out}`);
} finally {
  await browser.close();
}
