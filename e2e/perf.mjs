// The browser's figures for `cargo xtask bench`, per scenario, measured in headless Chromium (Debian's
// /usr/bin/chromium) on a release build of the site. For each scenario given, in a fresh browser context:
//
//   1. time to interactive: from navigation start until all three lanes are drawn (a large scenario computes
//      in the Web Worker and is prepared in slices: until `#computing` is gone) and a key press (→) has moved
//      the picture to step 1;
//   2. cold seeks: the scrubber set to 40 steps spread over the longest lane (followed: legacy B from the URL,
//      or the longer one by its key), in a fixed order that never seeks near the step before, each timed until
//      the DOM shows it and the next animation frame (the picture painted, all three lanes); p50 / p95 / max;
//   3. the longest main-thread task after the first paint (PerformanceObserver 'longtask'), over loading,
//      the → and the seeks (not playing: the frame times say that);
//   4. the app's wasm memory when interactive and after the seeks (trunk's `TrunkApplicationStarted` event hands over the wasm
//      instance; the compute worker's own memory is not in it);
//   5. frame intervals while playing at the fastest speed for 3 s (e2e/frames.mjs; a short lane is started
//      over whenever it reaches its end): p50 / p95.
//
//   cargo xtask dist && node e2e/perf.mjs dist 'P*192S*64P*128N*64P*64'
//   node e2e/perf.mjs /tmp/hmmviz-release                  # any folder trunk built with --public-url ./
//
// Without a scenario it measures the 1 GiB mixed one of e2e/scale.spec.mjs. It serves the folder itself on
// 127.0.0.1 (or uses HMMVIZ_URL if set) and prints per scenario a JSON report and one `BENCH key=value` line
// (what `cargo xtask bench` reads); a scenario that cannot be measured gets `BENCH ... error=1` and its error
// on stderr, and the exit status is 1.
import { chromium } from '@playwright/test';
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { playingFrameIntervals } from './frames.mjs';
import { budgets, watchBudgets } from './budgets.mjs';

const dir = resolve(process.argv[2] ?? 'dist');
const scenarios = process.argv.length > 3 ? process.argv.slice(3) : ['P*98304S*32768P*65536N*32768P*32768'];
/** How long one scenario may take to compute and prepare (the 1 GiB one takes about a minute on a busy machine). */
const LOAD_TIMEOUT_MS = 600_000;
const SEEKS = 40;
/** The lanes in the order of the keys that follow them (1, 2, 3). */
const LANES = ['legacy_a', 'legacy_b', 'unified'];
const PLAY_MS = 3000;
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

/** Pages in a state text such as `P*192S*64N`: each letter is one page, or `*N` of them. */
function pagesOf(scenario) {
  return [...scenario.matchAll(/[A-Z](?:\*(\d+))?/g)].reduce((sum, m) => sum + Number(m[1] ?? 1), 0);
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

/** One scenario's figures, in a context of its own (its own wasm instance, its own long-task list). */
async function measure(browser, base, scenario) {
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(watchBudgets);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    const load_average_at_start = loadavg().map(round);
    // The fastest speed (262,144 × 4 steps/s), following legacy B (its lane computes first).
    await page.goto(`${base}?v=1&pages=${encodeURIComponent(scenario)}&view=compare&lane=legacy_b&speed=262144`, {
      waitUntil: 'commit',
    });
    // Polled every animation frame, so the moment is not rounded up to a polling interval.
    await page.waitForFunction(
      () => document.querySelectorAll('.lane').length === 3 && !document.querySelector('#computing'),
      null,
      { polling: 'raf', timeout: LOAD_TIMEOUT_MS },
    );
    await page.locator('body').click({ position: { x: 3, y: 3 } });
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => /^step 1 \//.test(document.querySelector('#step-label')?.textContent ?? ''), null, {
      polling: 'raf',
    });
    const interactive_ms = await page.evaluate(() => performance.now());
    const wasm_memory_at_interactive_bytes = await page.evaluate(() => window.__hmmvizMemory?.buffer.byteLength ?? null);

    // Seek in the longest lane, as the native bench does: follow it (keys 1-3) if it is not legacy B.
    const lane_events = await page.evaluate((lanes) =>
      lanes.map((id) => Number(/\/ (\d+)/.exec(document.querySelector(`#lane-${id} .lane-step`)?.textContent)?.[1])),
      LANES,
    );
    let followed = 1;
    lane_events.forEach((n, i) => {
      if (n > lane_events[followed]) followed = i;
    });
    if (followed !== 1) {
      await page.keyboard.press(String(followed + 1));
      const want = ` / ${lane_events[followed]}`;
      await page.waitForFunction((w) => document.querySelector('#step-label')?.textContent.includes(w), want);
    }
    const { len } = await stepOf(page);
    // Steps k/101 of the lane in the order of a fixed permutation (37 is coprime with 100), as the native
    // bench seeks, so no seek lands near the one before.
    const seeks = [];
    for (let i = 0; i < SEEKS; i++) seeks.push(await timedSeek(page, Math.floor((len / 101) * (((i * 37) % 100) + 1))));

    const { longest_task_ms, long_tasks, wasm_memory_bytes } = await budgets(page);

    const frames = await playingFrameIntervals(page, PLAY_MS);
    if (frames.length === 0) throw new Error('no frame was drawn while playing');

    return {
      scenario,
      pages: pagesOf(scenario),
      load_average_at_start,
      lane_events,
      seek_lane: LANES[followed],
      time_to_interactive_ms: round(interactive_ms),
      seek: { seeks: seeks.length, p50_ms: round(quantile(seeks, 0.5)), p95_ms: round(quantile(seeks, 0.95)), max_ms: round(Math.max(...seeks)) },
      longest_task_after_first_paint_ms: round(longest_task_ms),
      tasks_over_50ms: long_tasks,
      wasm_memory_at_interactive_bytes,
      wasm_memory_bytes,
      playing_fastest: { frames: frames.length, p50_ms: round(quantile(frames, 0.5)), p95_ms: round(quantile(frames, 0.95)), max_ms: round(Math.max(...frames)) },
      console_errors: errors,
    };
  } finally {
    await context.close();
  }
}

/** The figures as one line of `key=value` pairs (no spaces in any value). */
function benchLine(r) {
  return [
    'BENCH source=browser',
    `pages=${r.pages}`,
    `scenario=${r.scenario}`,
    `tti_ms=${r.time_to_interactive_ms}`,
    `seek_p50_ms=${r.seek.p50_ms}`,
    `seek_p95_ms=${r.seek.p95_ms}`,
    `seek_max_ms=${r.seek.max_ms}`,
    `seek_lane=${r.seek_lane}`,
    `seek_lane_events=${r.lane_events[LANES.indexOf(r.seek_lane)]}`,
    `longest_task_ms=${r.longest_task_after_first_paint_ms}`,
    `tasks_over_50ms=${r.tasks_over_50ms}`,
    `wasm_memory_at_interactive_bytes=${r.wasm_memory_at_interactive_bytes}`,
    `wasm_memory_bytes=${r.wasm_memory_bytes}`,
    `frame_p50_ms=${r.playing_fastest.p50_ms}`,
    `frame_p95_ms=${r.playing_fastest.p95_ms}`,
    `frames=${r.playing_fastest.frames}`,
    `lane_events=${r.lane_events.join('/')}`,
    `console_errors=${r.console_errors.length}`,
    `load=${r.load_average_at_start.join('/')}`,
  ].join(' ');
}

async function main() {
  const server = process.env.HMMVIZ_URL ? null : await serve(dir);
  const base = process.env.HMMVIZ_URL ?? `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  let failed = 0;
  for (const scenario of scenarios) {
    try {
      const report = await measure(browser, base, scenario);
      console.log(JSON.stringify(report, null, 2));
      for (const e of report.console_errors) console.error(`perf: ${scenario}: console error: ${e}`);
      console.log(benchLine(report));
    } catch (e) {
      failed += 1;
      console.error(`perf: ${scenario}: not measured: ${e.message}`);
      console.log(`BENCH source=browser pages=${pagesOf(scenario)} scenario=${scenario} error=1`);
    }
  }
  await browser.close();
  server?.close();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
