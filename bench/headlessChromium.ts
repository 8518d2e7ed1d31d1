// The headless Chromium the webview benchmarks draw in: Debian's browser
// driven by playwright-core, without the GPU and the background services
// that would take the machine's time while frames are measured.
import type { Browser } from 'playwright-core';

export async function launchHeadlessChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
