// Regenerates the screenshots in docs/ from a built site in headless Chromium, at 1280×800 unless a shot names
// its own size:
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
    // A followed page's history (click a page, or page=N): its entry's kind over the unified lane's run.
    file: 'page-history.png',
    query: '?v=1&pages=PPNS&view=compare&lane=unified&page=0&step=44',
  },
  {
    file: 'summary.png',
    query: '?v=1&pages=PPPPSSSS&view=compare&lane=unified',
    keys: ['End'],
    scrollTo: '#summary',
  },
  // Lessons, the race lab and the glossary (web/src/lesson/, race/, glossary.rs): each waits for its own page.
  {
    file: 'lesson-beat.png',
    query: '?lesson=walk-count&beat=3',
    waitFor: '#beat-title',
    clicks: ['.choice[data-choice="3"]'],
  },
  {
    file: 'lesson-prediction.png',
    query: '?lesson=livelock-6-14&beat=2',
    waitFor: '#beat-title',
    clicks: ['.choice[data-choice="no, one of them always gets through"]'],
  },
  {
    file: 'race-lab.png',
    query: '?race=livelock-6-14&kernel=6.14&schedule=t1,t2,t3,t1,t2,t3,t1,t2,t3,t1,t2',
    waitFor: '#race-lab',
    clicks: ['#race-run-on'],
    waitAfter: '#race-outcome[data-end="livelock"]',
  },
  {
    // The builder (web/src/race/builder.rs): the seed-003 scenario written in the page, its livelock found.
    file: 'race-builder.png',
    query: '?race=built&kernel=6.14',
    waitFor: '#race-builder',
    clicks: ['#race-find'],
    waitAfter: '#race-outcome[data-end="livelock"]',
    viewport: { width: 1280, height: 1100 },
  },
  {
    file: 'glossary.png',
    query: '?glossary',
    waitFor: '#glossary',
  },
  // Embedded, presented and on a phone (docs/embedding.md): each at the frame or screen size it shows.
  {
    file: 'embed-800x450.png',
    query: '?v=1&pages=PPPPSSSS&step=40&embed=1',
    waitFor: '#lanes', // embedded: a compact transport
    viewport: { width: 800, height: 450 },
  },
  {
    file: 'embed-1280x720-dark.png',
    query: '?v=1&pages=PPPPSSSS&step=40&embed=1&lanes=A,U',
    waitFor: '#lanes', // embedded: a compact transport
    viewport: { width: 1280, height: 720 },
    scheme: 'dark',
  },
  {
    file: 'present-1280x720.png',
    query: '?v=1&pages=PPPPSSSS&step=40&present=1',
    waitFor: '#lanes', // presenting: no transport
    viewport: { width: 1280, height: 720 },
  },
  {
    file: 'present-1024x768.png',
    query: '?v=1&pages=PPPPSSSS&step=40&present=1',
    waitFor: '#lanes', // presenting: no transport
    viewport: { width: 1024, height: 768 },
  },
  {
    file: 'phone-390.png',
    query: '?v=1&pages=PPNS&step=12',
    viewport: { width: 390, height: 844 },
  },
  {
    file: 'lesson-present-1280x720.png',
    query: '?lesson=walk-count&beat=2&present=1',
    viewport: { width: 1280, height: 720 },
    waitFor: '#beat-title',
  },
  {
    file: 'lesson-speaker.png',
    query: '?lesson=walk-count&beat=2&speaker=1',
    waitFor: '#speaker-title',
  },
  {
    file: 'lesson-embed-1280x720.png',
    query: '?lesson=walk-count&beat=3&embed=1',
    viewport: { width: 1280, height: 720 },
    waitFor: '#beat-title',
  },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const shot of shots) {
  const page = await browser.newPage({ viewport: shot.viewport ?? { width: 1280, height: 800 }, colorScheme: shot.scheme ?? 'light' });
  await page.goto(base + shot.query);
  await page.locator(shot.waitFor ?? '.transport').waitFor({ timeout: 60_000 });
  for (const key of shot.keys ?? []) await page.keyboard.press(key);
  for (const selector of shot.clicks ?? []) await page.locator(selector).click();
  if (shot.waitAfter) await page.locator(shot.waitAfter).waitFor({ timeout: 60_000 });
  if (shot.scrollTo) await page.locator(shot.scrollTo).scrollIntoViewIfNeeded();
  await page.waitForTimeout(700); // let the step's flash settle
  await page.screenshot({ path: join(out, shot.file) });
  console.log(join(out, shot.file));
  await page.close();
}
await browser.close();
server.close();
