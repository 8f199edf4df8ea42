// Run with e2e/scale.config.mjs (not part of `cargo xtask test` while it misses its targets).
// Issue 13, the browser at 1 GiB: 262,144 pages computed in the Web Worker with progress per lane, the
// followed lane explorable while the others compute, the overview instead of 262,144 cells, and the page's
// budgets measured: no main-thread task over 50 ms after the first paint (PerformanceObserver 'longtask'),
// wasm memory ≤ 256 MiB, p95 frame ≤ 16.7 ms while playing at the fastest speed. Each figure is printed as
// measured (`scale:` lines) before it is checked against its target; a missed target fails the test.
import { test, expect } from './fixtures.mjs';

const MiB = 1024 * 1024;
// P/S/N mixed over 1 GiB, short enough for a link: present, swapped and never-touched pages in blocks.
const MIXED = 'P*98304S*32768P*65536N*32768P*32768';

async function watch(page) {
  await page.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    addEventListener('TrunkApplicationStarted', (e) => {
      window.__hmmvizMemory = e.detail?.wasm?.memory;
    });
  });
}

async function stepOf(page) {
  const m = /step (\d+) \/ (\d+)/.exec((await page.locator('#step-label').textContent()) ?? '');
  return { at: Number(m[1]), len: Number(m[2]) };
}

/** Long tasks that started after the first paint, and the wasm memory now. */
async function budgets(page) {
  return page.evaluate(() => {
    const paint = performance.getEntriesByName('first-paint')[0]?.startTime ?? 0;
    const after = window.__longtasks.filter((t) => t.start >= paint);
    return {
      first_paint_ms: paint,
      longest_task_ms: Math.max(0, ...after.map((t) => t.ms)),
      long_tasks: after.length,
      wasm_memory_bytes: window.__hmmvizMemory?.buffer.byteLength ?? null,
    };
  });
}

async function seek(page, step) {
  await page.evaluate((target) => {
    const input = document.querySelector('#scrubber');
    input.value = String(target);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, step);
  await expect(page.locator('#step-label')).toHaveText(new RegExp(`^step ${step} /`));
}

for (const [name, pages] of [['mixed', MIXED], ['all present', 'P*262144']]) {
  test(`1 GiB ${name} (${pages}): computed off the main thread with progress, explorable, within budget`, async ({ page }) => {
    test.setTimeout(600_000);
    await watch(page);
    await page.goto(`./?v=1&pages=${encodeURIComponent(pages)}&lane=legacy_b`);
    // Progress per lane, the followed lane first.
    await expect(page.locator('#computing')).toBeVisible();
    await expect(page.locator('#compute-legacy_b')).toHaveClass(/running|done/);
    await expect(page.locator('#computing')).toContainText('262,144 pages');
    // The followed lane can be explored before the others are in.
    await expect(page.locator('#lane-legacy_b')).toBeVisible({ timeout: 300_000 });
    const early = await page.locator('#computing').count();
    console.log(`scale: ${name}: legacy B explorable while ${early ? 'the other lanes compute' : 'nothing else computes (all done)'}`);
    await expect(page.locator('#overview')).toBeVisible();
    await expect(page.locator('#overview .overview-row')).toHaveCount(await page.locator('.lane').count());
    await expect(page.locator('#computing')).toHaveCount(0, { timeout: 300_000 });
    await expect(page.locator('.lane')).toHaveCount(3);
    await expect(page.locator('#overview .overview-row')).toHaveCount(3);
    await expect(page.locator('#overview-range')).toContainText('pages 0–262,143 of 262,144, 1,024 pages per cell');

    // Seek to the middle of legacy B, step, zoom the overview to single PTEs.
    const { len } = await stepOf(page);
    const middle = Math.floor(len / 2);
    await seek(page, middle);
    await page.locator('body').click({ position: { x: 3, y: 3 } });
    await page.keyboard.press('ArrowRight');
    await expect(page.locator('#step-label')).toHaveText(new RegExp(`^step ${middle + 1} /`));
    await expect(page.locator('#lane-legacy_b .lane-step')).toHaveText(`step ${middle + 1} / ${len}`);
    for (let i = 0; i < 4; i++) await page.locator('#overview-in').click();
    await expect(page.locator('#overview-range')).toContainText('one PTE per cell');
    await expect(page.locator('#overview-in')).toBeDisabled();

    const b = await budgets(page);
    console.log(`scale: ${name}: legacy B ${len} events; longest main-thread task after first paint ${b.longest_task_ms} ms ` +
      `(${b.long_tasks} over 50 ms); page wasm memory ${(b.wasm_memory_bytes / MiB).toFixed(1)} MiB`);
    expect(b.wasm_memory_bytes, 'the page reports its wasm memory').not.toBeNull();
    expect(b.longest_task_ms, 'no main-thread task over 50 ms after the first paint').toBeLessThanOrEqual(50);
    expect(b.wasm_memory_bytes, 'wasm memory ≤ 256 MiB').toBeLessThanOrEqual(256 * MiB);
  });
}

test('1 GiB all present: p95 frame ≤ 16.7 ms while playing at the fastest speed', async ({ page }) => {
  test.setTimeout(600_000);
  await watch(page);
  await page.goto('./?v=1&pages=P*262144&lane=legacy_b&speed=262144');
  await expect(page.locator('#computing')).toHaveCount(0, { timeout: 300_000 });
  await expect(page.locator('.lane')).toHaveCount(3);
  const before = await stepOf(page);
  await page.locator('body').click({ position: { x: 3, y: 3 } });
  await page.keyboard.press('Space');
  const frames = await page.evaluate(
    (ms) =>
      new Promise((done) => {
        const stamps = [];
        const start = performance.now();
        const tick = (t) => {
          stamps.push(t);
          if (t - start < ms) requestAnimationFrame(tick);
          else done(stamps);
        };
        requestAnimationFrame(tick);
      }),
    5000,
  );
  await page.keyboard.press('Space');
  const after = await stepOf(page);
  const deltas = frames.slice(1).map((t, i) => t - frames[i]).sort((x, y) => x - y);
  const p95 = deltas[Math.floor(0.95 * (deltas.length - 1))];
  const stepsPerSecond = ((after.at - before.at) / 5).toFixed(0);
  console.log(`scale: playing P*262144 at the fastest speed: ${deltas.length} frames, p95 ${p95.toFixed(1)} ms, ` +
    `median ${deltas[Math.floor(deltas.length / 2)].toFixed(1)} ms, ${stepsPerSecond} steps/s (lane of ${before.len})`);
  expect(after.at).toBeGreaterThan(before.at);
  // performance.now() is clamped to 100 µs, so a 60 Hz frame measures 16.6–16.8 ms: allow that jitter.
  expect(p95, 'p95 frame ≤ 16.7 ms').toBeLessThanOrEqual(16.7 + 0.2);
});
