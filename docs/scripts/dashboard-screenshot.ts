/**
 * `npm run docs:screenshot` — regenerates docs/dashboard.png: the live demo (examples/dashboard.ts)
 * runs for a few seconds of fast prices and signals, then Debian's Chromium photographs the page.
 * Needs the build (the script runs it) and /usr/bin/chromium.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startLiveDemo } from '../../examples/dashboard.js';

const out = fileURLToPath(new URL('../dashboard.png', import.meta.url));
const demo = await startLiveDemo({ port: 0, seed: 11, tickMs: 150 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1050 }, deviceScaleFactor: 1 });
  await page.goto(demo.url);
  await page.waitForSelector('body[data-connection="open"]');
  await page.waitForTimeout(9_000); // a few dozen signals: positions, fills, a P&L curve
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await demo.stop();
}
