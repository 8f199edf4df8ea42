// Regenerates the screenshots in docs/ from a built site, at 1280×800 in headless Chromium:
//   cargo xtask dist && node e2e/screenshots.mjs dist
// Each shot is a URL (the app's own permalink format) plus, where needed, a few key presses.
import { chromium } from '@playwright/test';
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? 'dist');
const out = resolve(process.argv[3] ?? 'docs');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = await new Promise((ok) => {
  const s = createServer((req, res) => {
    let file = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  s.listen(0, '127.0.0.1', () => ok(s));
});
const base = `http://127.0.0.1:${server.address().port}/`;

const shots = [
  {
    // The home view at the moment legacy A installs its first migration entry (found with "jump to").
    file: 'screenshot.png', // the README's picture
    query: '?v=1&pages=PPPPSSSS&view=compare&lane=legacy_a',
    keys: ['BracketRight'],
  },
  {
    file: 'deep.png',
    query: '?v=1&pages=PPNS&view=deep&lane=legacy_a',
    keys: ['BracketRight', 'BracketRight', 'BracketRight'],
  },
  {
    file: 'compare-dark.png',
    query: '?v=1&pages=P*512&view=compare&lane=unified&step=15000',
    scheme: 'dark',
  },
  {
    file: 'summary.png',
    query: '?v=1&pages=PPPPSSSS&view=compare&lane=unified',
    keys: ['End'],
    scrollTo: '#summary',
  },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const shot of shots) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: shot.scheme ?? 'light' });
  await page.goto(base + shot.query);
  await page.locator('.transport').waitFor();
  for (const key of shot.keys ?? []) await page.keyboard.press(key);
  if (shot.scrollTo) await page.locator(shot.scrollTo).scrollIntoViewIfNeeded();
  await page.waitForTimeout(700); // let the step's flash settle
  await page.screenshot({ path: join(out, shot.file) });
  console.log(join(out, shot.file));
  await page.close();
}
await browser.close();
server.close();
