// Performance figures of the built app, measured in headless Chromium (Debian's /usr/bin/chromium):
//
//   1. wasm size, raw and gzip (level 9);
//   2. time to interactive on localhost: from navigation start until the three lanes are drawn and a key press
//      (→) has moved the picture;
//   3. frame times while the 512-page scenario plays in three lanes at top speed (8×): p50/p95/max of the
//      intervals between requestAnimationFrame callbacks, target p95 ≤ 16.7 ms;
//   4. seeking to random steps of a trace of at least 1M events (20,000 present pages): from setting the
//      scrubber until the new step is painted (the next animation frame after the DOM shows it), target
//      ≤ 100 ms, in the compare view (three lanes) and the deep view; plus one step back with ←.
//
// Measure a release build (what users load), e.g.:
//   cargo xtask dist && node e2e/perf.mjs dist
//   node e2e/perf.mjs /tmp/hmmviz-release            # any folder trunk built with --public-url ./
// It serves the folder itself on 127.0.0.1 (or uses HMMVIZ_URL if set) and prints a JSON report and a
// verdict per target; the exit status is 1 if a target is missed.
import { chromium } from '@playwright/test';
import { createServer } from 'node:http';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { frameStamps } from './frames.mjs';

const dir = resolve(process.argv[2] ?? 'dist');
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

function serve(root) {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = join(root, path);
      if (!file.startsWith(root)) {
        res.writeHead(403).end();
        return;
      }
      try {
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const round = (x) => Math.round(x * 100) / 100;

function wasmSizes(root) {
  const wasm = readdirSync(root).find((f) => f.endsWith('.wasm'));
  if (!wasm) throw new Error(`no .wasm in ${root}`);
  const bytes = readFileSync(join(root, wasm));
  return { file: wasm, raw_bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
}

async function stepOf(page) {
  const text = await page.locator('#step-label').textContent();
  const m = /step (\d+) \/ (\d+)/.exec(text ?? '');
  return m ? { at: Number(m[1]), len: Number(m[2]) } : null;
}

/** Set the scrubber to `step` and resolve with ms until the DOM shows it and a frame has been painted. */
async function timedSeek(page, step) {
  return page.evaluate(
    (target) =>
      new Promise((done) => {
        const label = document.querySelector('#step-label');
        const input = document.querySelector('#scrubber');
        const t0 = performance.now();
        input.value = String(target);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        const want = `step ${target} /`;
        const check = () => {
          if (label.textContent.startsWith(want)) {
            // The DOM is updated; the picture is on screen after the next frame.
            requestAnimationFrame(() => done(performance.now() - t0));
          } else {
            requestAnimationFrame(check);
          }
        };
        queueMicrotask(check);
      }),
    step,
  );
}

async function timedKey(page, key, expected) {
  const t0 = await page.evaluate(() => performance.now());
  await page.keyboard.press(key);
  return page.evaluate(
    ({ want, t0 }) =>
      new Promise((done) => {
        const label = document.querySelector('#step-label');
        const check = () =>
          label.textContent.startsWith(want)
            ? requestAnimationFrame(() => done(performance.now() - t0))
            : requestAnimationFrame(check);
        check();
      }),
    { want: `step ${expected} /`, t0 },
  );
}

async function main() {
  const server = process.env.HMMVIZ_URL ? null : await serve(dir);
  const base = process.env.HMMVIZ_URL ?? `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const report = { build: dir, cpus: cpus().length, load_average_at_start: loadavg().map(round), wasm: wasmSizes(dir) };
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // trunk's loader announces the wasm instance: keep its memory to report how much the big trace takes.
  await context.addInitScript(() =>
    addEventListener('TrunkApplicationStarted', (e) => {
      window.__hmmvizMemory = e.detail?.wasm?.memory;
    }),
  );
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  // 2. Time to interactive.
  {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${base}?v=1&pages=PPPPSSSS`, { waitUntil: 'commit' });
      await page.locator('.lane').nth(2).waitFor();
      await page.keyboard.press('ArrowRight');
      await page.locator('#step-label', { hasText: /^step 1 \// }).waitFor();
      const t = await page.evaluate(() => ({
        interactive_ms: performance.now(),
        dom_content_loaded_ms: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? NaN,
      }));
      runs.push(t);
    }
    report.time_to_interactive = {
      median_ms: round(quantile(runs.map((r) => r.interactive_ms), 0.5)),
      runs_ms: runs.map((r) => round(r.interactive_ms)),
      dom_content_loaded_ms: round(quantile(runs.map((r) => r.dom_content_loaded_ms), 0.5)),
    };
  }

  // 3. Frame times: 512 pages, three lanes, 8×. Three rounds (the machines this runs on are shared, so one
  // round can catch another process's burst); the verdict uses the median round.
  {
    const rounds = [];
    for (let round_ = 0; round_ < 3; round_++) {
      await page.goto(`${base}?v=1&pages=P*512&view=compare&lane=unified&speed=8&step=${2000 + round_ * 6000}`);
      await page.locator('#lane-unified .pte').nth(63).waitFor();
      const before = await stepOf(page);
      await page.locator('body').click({ position: { x: 3, y: 3 } });
      await page.keyboard.press('Space');
      const frames = await frameStamps(page, 6000);
      await page.keyboard.press('Space');
      const after = await stepOf(page);
      const deltas = frames.slice(1).map((t, i) => t - frames[i]);
      rounds.push({
        frames: deltas.length,
        p50_ms: round(quantile(deltas, 0.5)),
        p95_ms: round(quantile(deltas, 0.95)),
        max_ms: round(Math.max(...deltas)),
        frames_over_20ms: deltas.filter((d) => d > 20).length,
        steps_played: after.at - before.at,
        load_average: loadavg().map(round),
      });
    }
    const p95s = rounds.map((r) => r.p95_ms);
    report.play_512_pages_8x = {
      trace_len: (await stepOf(page)).len,
      median_round_p95_ms: quantile(p95s, 0.5),
      rounds,
    };
  }

  // 4. Seeking a ≥1M-event trace.
  {
    const t0 = Date.now();
    await page.goto(`${base}?v=1&pages=P*20000&view=compare&lane=legacy_a`);
    await page.locator('#lane-legacy_a .pte').nth(63).waitFor({ timeout: 180_000 });
    const computeMs = Date.now() - t0;
    const wasmMemory = await page.evaluate(() => window.__hmmvizMemory?.buffer.byteLength ?? null);
    const { len } = await stepOf(page);
    const lanes = await page.evaluate(() =>
      [...document.querySelectorAll('.lane-step')].map((e) => Number(/\/ (\d+)/.exec(e.textContent)[1])),
    );
    // Deterministic pseudo-random targets spread over the whole trace, backward and forward.
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const targets = Array.from({ length: 25 }, () => Math.floor(rand() * len));
    targets.push(len, 0, len - 1, 1);
    const compare = [];
    for (const s of targets) compare.push(await timedSeek(page, s));
    // One step back from a point far from a checkpoint (the worst case for a backward step).
    await timedSeek(page, Math.floor(len * 0.73));
    const back = await timedKey(page, 'ArrowLeft', Math.floor(len * 0.73) - 1);
    const forward = await timedKey(page, 'ArrowRight', Math.floor(len * 0.73));
    await page.getByRole('button', { name: 'Look inside a lane' }).click();
    await page.locator('#deep-view').waitFor();
    const deep = [];
    for (const s of targets) deep.push(await timedSeek(page, s));
    report.seek_1m_events = {
      pages: 20000,
      lane_events: lanes,
      compute_all_lanes_ms: computeMs,
      wasm_memory_bytes: wasmMemory,
      compare_view: { seeks: compare.length, p50_ms: round(quantile(compare, 0.5)), p95_ms: round(quantile(compare, 0.95)), max_ms: round(Math.max(...compare)) },
      deep_view: { seeks: deep.length, p50_ms: round(quantile(deep, 0.5)), p95_ms: round(quantile(deep, 0.95)), max_ms: round(Math.max(...deep)) },
      step_back_ms: round(back),
      step_forward_ms: round(forward),
    };
  }

  report.console_errors = errors;
  await browser.close();
  server?.close();

  const verdicts = {
    // performance.now() is clamped to 100 µs, so a 60 Hz frame measures 16.6–16.8 ms: allow that jitter.
    'frame p95 <= 16.7 ms (512 pages, 3 lanes, 8x)': report.play_512_pages_8x.median_round_p95_ms <= 16.7 + 0.2,
    'trace >= 1M events': Math.max(...report.seek_1m_events.lane_events) >= 1_000_000,
    'seek max <= 100 ms (1M events, compare view)': report.seek_1m_events.compare_view.max_ms <= 100,
    'seek max <= 100 ms (1M events, deep view)': report.seek_1m_events.deep_view.max_ms <= 100,
    'no console errors': errors.length === 0,
  };
  report.verdicts = verdicts;
  console.log(JSON.stringify(report, null, 2));
  for (const [what, ok] of Object.entries(verdicts)) console.log(`${ok ? 'MET   ' : 'MISSED'} ${what}`);
  process.exit(Object.values(verdicts).every(Boolean) ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
