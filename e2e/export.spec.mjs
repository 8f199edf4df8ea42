// Export from the web (issue 12): the step as SVG and PNG at a chosen width, and the run as a Chrome /
// Perfetto trace-event file, checked here against the trace-event format's rules (the same checks as the
// CLI's export test, crates/hmmviz/tests/export_cli.rs): every event has a known phase, pid, tid and name;
// complete slices nest on each track; async slices begin and end in pairs; instants are thread-scoped;
// metadata names every process and thread.
import { readFile } from 'node:fs/promises';
import { test, expect } from './fixtures.mjs';

async function exported(page, button) {
  await page.locator('#export-menu > summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

/** The trace-event format's rules for the phases hmmviz writes; returns the events. */
function validTrace(text) {
  const trace = JSON.parse(text);
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  const slices = new Map();
  const open = new Map();
  for (const e of trace.traceEvents) {
    expect(Number.isInteger(e.pid) && Number.isInteger(e.tid), JSON.stringify(e)).toBe(true);
    expect(typeof e.name).toBe('string');
    switch (e.ph) {
      case 'X': {
        expect(Number.isInteger(e.ts) && Number.isInteger(e.dur) && e.dur >= 0).toBe(true);
        const track = `${e.pid}/${e.tid}`;
        if (!slices.has(track)) slices.set(track, []);
        slices.get(track).push([e.ts, e.ts + e.dur]);
        break;
      }
      case 'i':
        expect(Number.isInteger(e.ts)).toBe(true);
        expect(e.s).toBe('t');
        break;
      case 'b':
        expect(open.has(e.id), `async id ${e.id} begun twice`).toBe(false);
        open.set(e.id, e.ts);
        break;
      case 'e':
        expect(open.has(e.id), `async id ${e.id} ends without a begin`).toBe(true);
        expect(e.ts).toBeGreaterThanOrEqual(open.get(e.id));
        open.delete(e.id);
        break;
      case 'M':
        expect(['process_name', 'thread_name']).toContain(e.name);
        expect(typeof e.args.name).toBe('string');
        break;
      default:
        throw new Error(`phase ${e.ph} is not one hmmviz writes`);
    }
  }
  expect(open.size, 'async slices never ended').toBe(0);
  for (const [track, spans] of slices) {
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const stack = [];
    for (const [start, end] of spans) {
      while (stack.length && stack.at(-1) <= start) stack.pop();
      if (stack.length) expect(end, `track ${track}: [${start}, ${end}) crosses a slice`).toBeLessThanOrEqual(stack.at(-1));
      stack.push(end);
    }
  }
  return trace.traceEvents;
}

test('the step as SVG, at the chosen width: every shown lane, every cell', async ({ page }) => {
  await page.goto('./?v=1&pages=PPPPSSSS&step=40');
  await expect(page.locator('.lane')).toHaveCount(3);
  await page.locator('#export-menu > summary').click();
  await page.locator('#export-width').selectOption('1920');
  await page.locator('#export-menu > summary').click();
  const { name, bytes } = await exported(page, '#export-svg');
  expect(name).toBe('hmmviz-PPPPSSSS-step40.svg');
  const svg = bytes.toString('utf8');
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1920"/);
  expect(svg.match(/<g class="lane"/g)).toHaveLength(3);
  expect(svg.match(/class="pte /g)).toHaveLength(24);
  expect(svg).toContain('step 40 / ');
  await expect(page.locator('#export-status')).toHaveText('Saved this step as SVG.');
});

test('the step as PNG: a real PNG at twice the chosen width', async ({ page }) => {
  await page.goto('./?v=1&pages=PPPPSSSS&step=40');
  await expect(page.locator('.lane')).toHaveCount(3);
  const { name, bytes } = await exported(page, '#export-png');
  expect(name).toBe('hmmviz-PPPPSSSS-step40.png');
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  // IHDR: width and height, big-endian, at bytes 16 and 20.
  expect(bytes.readUInt32BE(16)).toBe(2 * 1280);
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(200);
  await expect(page.locator('#export-status')).toHaveText('Saved this step as PNG.');
});

test('the run as a Perfetto trace: valid trace-event JSON, a process per lane, calls, locks, PTE writes, faults', async ({ page }) => {
  await page.goto('./?v=1&pages=PNSZCDOP');
  await expect(page.locator('.lane')).toHaveCount(3);
  const { name, bytes } = await exported(page, '#export-trace');
  expect(name).toBe('hmmviz-PNSZCDOP.perfetto.json');
  const events = validTrace(bytes.toString('utf8'));
  expect(events.filter((e) => e.name === 'process_name').map((e) => e.args.name)).toEqual(['legacy_a', 'legacy_b', 'unified']);
  for (const needle of ['hmm_range_fault', 'migrate_vma_collect_pmd', 'pte none → migration_write', 'fault']) {
    expect(events.some((e) => e.name.includes(needle)), needle).toBe(true);
  }
  expect(events.some((e) => e.cat === 'lock')).toBe(true);
  for (const pid of [1, 2, 3]) expect(events.some((e) => e.pid === pid && e.ph === 'X')).toBe(true);
});
