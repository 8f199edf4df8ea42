// Embed mode and the postMessage protocol, from a host page on another origin (another port of 127.0.0.1) with hmmviz in an <iframe>, the way a docs page or a deck embeds it. The fixture fails
// each test on any console error or uncaught exception, in the host page or the frame.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.mjs';
import { startHost } from './hosts.mjs';

// The host page is served by e2e/hosts.mjs on 127.0.0.1 at another port than the app: another origin, on
// the loopback (Chromium's local-network checks block a loopback frame in a page not known to be local).
const servers = [];
test.afterEach(async () => {
  while (servers.length) await servers.pop().close();
});

/** Absolute URL of the app (the suite's server) with `query`. */
function appUrl(query) {
  return new URL(`./${query}`, process.env.HMMVIZ_URL).href;
}

/**
 * Open a host page holding hmmviz at `query` in an iframe of `width`×`height`, recording every message the
 * frame posts (window.received), and the host's own keydowns (window.hostKeys).
 */
async function host(page, query, { width = 800, height = 450, extra = '', ready = true, shows = '.lane' } = {}) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,"></head>
    <body style="margin:0">
    <p id="before" tabindex="0">A docs page</p>
    <iframe id="viz" src="${appUrl(query)}" style="width:${width}px;height:${height}px;border:0"></iframe>
    ${extra}
    <script>
      window.received = [];
      window.hostKeys = [];
      const frame = document.getElementById('viz');
      addEventListener('message', (e) => { if (e.source === frame.contentWindow) received.push(e.data); });
      addEventListener('keydown', (e) => hostKeys.push(e.key));
      window.send = (msg) => frame.contentWindow.postMessage(msg, '*');
    </script></body></html>`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hmmviz-host-'));
  writeFileSync(path.join(dir, 'host.html'), html);
  const server = await startHost({ '/': dir });
  servers.push(server);
  await page.setViewportSize({ width: width + 40, height: height + 80 });
  await page.goto(`${server.url}host.html`);
  const frame = page.frameLocator('#viz');
  await expect(frame.locator(shows).first()).toBeVisible({ timeout: 30_000 });
  if (ready) {
    await expect.poll(() => page.evaluate(() => received.filter((m) => m.type === 'ready').length)).toBe(1);
  }
  return frame;
}

/** The messages of `type` the frame has posted so far. */
const messages = (page, type) => page.evaluate((t) => received.filter((m) => m.type === t), type);

/** Send `msg` and wait for its reply (a message with the same id). */
async function call(page, msg) {
  const id = `c${Math.random().toString(36).slice(2)}`;
  await page.evaluate((m) => send(m), { ...msg, id });
  await expect.poll(() => page.evaluate((i) => received.some((m) => m.id === i), id)).toBe(true);
  return page.evaluate((i) => received.find((m) => m.id === i), id);
}

/** The element's box inside the frame's viewport, and the frame document's scroll size. */
async function fits(page, selector) {
  const frame = page.frames().find((f) => f.url().includes('embed=1'));
  return frame.evaluate((sel) => {
    const doc = document.scrollingElement;
    const boxes = [...document.querySelectorAll(sel)].map((el) => el.getBoundingClientRect());
    return {
      scroll: { w: doc.scrollWidth, h: doc.scrollHeight, vw: innerWidth, vh: innerHeight },
      inside: boxes.every((b) => b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight && b.right <= innerWidth),
      count: boxes.length,
    };
  }, selector);
}

for (const [width, height, lanes, expected] of [
  [800, 450, '', ['legacy_a', 'legacy_b', 'unified']],
  [1280, 720, '&lanes=A,U', ['legacy_a', 'unified']],
  [640, 360, '&lanes=B,U', ['legacy_b', 'unified']],
  // Below the phone layout's 700 px: a small frame keeps the frame layout.
  [480, 270, '', ['legacy_a', 'legacy_b', 'unified']],
]) {
  test(`embed=1 at ${width}×${height} shows lanes ${expected.join(', ')} whole, with no scrolling`, async ({ page }) => {
    const frame = await host(page, `?v=1&pages=PPPPSSSS&step=40&embed=1${lanes}`, { width, height });
    await expect(frame.locator('.lane')).toHaveCount(expected.length);
    for (const lane of expected) {
      await expect(frame.locator(`#lane-${lane} .pte`)).toHaveCount(8);
    }
    // Minimal chrome: no scenario field, no footer; a compact transport and the link to the full app.
    await expect(frame.locator('#states')).toHaveCount(0);
    await expect(frame.locator('.footer')).toHaveCount(0);
    await expect(frame.locator('#open-full')).toHaveAttribute('href', /^\?v=1&pages=PPPPSSSS&view=compare&lane=\w+&step=40$/);
    const lanesFit = await fits(page, '.lane .pte-row, .lane .counters, .lane-head, .compact-transport');
    expect(lanesFit.scroll.h).toBeLessThanOrEqual(lanesFit.scroll.vh);
    expect(lanesFit.scroll.w).toBeLessThanOrEqual(lanesFit.scroll.vw);
    expect(lanesFit.inside).toBe(true);
  });
}

test('controls=none shows no transport, only the link; controls=full the whole transport', async ({ page }) => {
  let frame = await host(page, '?v=1&pages=PPNS&embed=1&controls=none');
  await expect(frame.locator('#btn-play')).toHaveCount(0);
  await expect(frame.locator('#open-full')).toBeVisible();
  frame = await host(page, '?v=1&pages=PPNS&embed=1&controls=full&lanes=U', { width: 1280, height: 720 });
  await expect(frame.locator('#jump-kind')).toBeVisible();
  await expect(frame.locator('.lane')).toHaveCount(1);
});

test('theme= picks the frame\'s theme; bad embed parameters are said in the frame and in ready', async ({ page }) => {
  const frame = await host(page, '?v=1&pages=PPNS&embed=1&theme=dark&lanes=A,Q');
  await expect(frame.locator('#app')).toHaveClass(/theme-dark/);
  await expect(frame.locator('#notices')).toContainText('"Q" is not a lane');
  const [ready] = await messages(page, 'ready');
  expect(ready.protocol).toBe(1);
  expect(ready.hmmviz).toBe(1);
  expect(ready.notices.join(' ')).toContain('"Q" is not a lane');
  expect(ready.lanes).toBe('A,B,U');
});

test('commands move the picture; events and replies come back', async ({ page }) => {
  const frame = await host(page, '?v=1&pages=PPPPSSSS&embed=1&lane=legacy_a');
  const [ready] = await messages(page, 'ready');
  expect(ready).toMatchObject({ hmmviz: 1, type: 'ready', pages: 'PPPPSSSS', lane: 'legacy_a', step: 0 });
  expect(ready.len).toBeGreaterThan(100);

  expect(await call(page, { hmmviz: 1, type: 'step', by: 3 })).toMatchObject({ type: 'reply', ok: true, command: 'step' });
  await expect(frame.locator('#step-label')).toHaveText(`step 3 / ${ready.len}`);
  await expect.poll(async () => (await messages(page, 'step-changed')).at(-1)?.step).toBe(3);

  await call(page, { hmmviz: 1, type: 'seek', step: 20 });
  await expect(frame.locator('#step-label')).toHaveText(`step 20 / ${ready.len}`);

  // A milestone: the event names it, and step-changed says where the lane is.
  await call(page, { hmmviz: 1, type: 'goto', milestone: 'next' });
  await expect.poll(async () => (await messages(page, 'milestone')).length).toBeGreaterThan(0);
  const [milestone] = await messages(page, 'milestone');
  expect(milestone).toMatchObject({ hmmviz: 1, lane: 'legacy_a' });
  await expect.poll(async () => (await messages(page, 'step-changed')).at(-1)?.step).toBe(milestone.step);
  await expect(frame.locator('#step-label')).toHaveText(`step ${milestone.step} / ${ready.len}`);
  expect((await messages(page, 'step-changed')).at(-1).milestone).toBe(milestone.key);

  // goto a named milestone, then a kind of event.
  expect(await call(page, { hmmviz: 1, type: 'goto', milestone: milestone.key })).toMatchObject({ ok: true });
  await call(page, { hmmviz: 1, type: 'goto', event: 'lock' });
  await expect.poll(async () => (await messages(page, 'step-changed')).at(-1)?.step).toBeGreaterThan(milestone.step);

  // set: lanes and view.
  await call(page, { hmmviz: 1, type: 'set', lanes: 'U' });
  await expect(frame.locator('.lane')).toHaveCount(1);
  await expect(frame.locator('#lane-unified')).toBeVisible();
  await call(page, { hmmviz: 1, type: 'set', view: 'deep' });
  await expect(frame.locator('#app')).toHaveAttribute('data-view', 'deep');
  await call(page, { hmmviz: 1, type: 'set', view: 'compare', lanes: 'A,B,U' });

  // play and pause.
  await call(page, { hmmviz: 1, type: 'play' });
  await expect(frame.locator('#btn-play')).toHaveAttribute('aria-pressed', 'true');
  await call(page, { hmmviz: 1, type: 'pause' });
  await expect(frame.locator('#btn-play')).toHaveAttribute('aria-pressed', 'false');

  // load: a scenario runs; a lesson that does not exist is refused (a real one: the next test), and a beat
  // needs a lesson.
  await call(page, { hmmviz: 1, type: 'load', pages: 'SSNN' });
  await expect(frame.locator('#lane-unified .pte')).toHaveCount(4);
  await expect.poll(async () => (await messages(page, 'step-changed')).at(-1)?.pages).toBe('SSNN');
  const lesson = await call(page, { hmmviz: 1, type: 'load', lesson: 'intro' });
  expect(lesson).toMatchObject({ type: 'error', ok: false, code: 'unknown-lesson' });
  expect(lesson.message).toContain('"intro"');
  expect(await call(page, { hmmviz: 1, type: 'goto', beat: 0 })).toMatchObject({ ok: false, code: 'no-lesson' });

  // A JSON string is read like the object it spells.
  await page.evaluate(() => send(JSON.stringify({ hmmviz: 1, type: 'step', id: 'as-text' })));
  await expect.poll(() => page.evaluate(() => received.find((m) => m.id === 'as-text')?.ok)).toBe(true);
});

test('a lesson driven through postMessage: load it, move beat by beat, hear lesson-beat, leave for a scenario', async ({ page }) => {
  test.setTimeout(120_000);
  const frame = await host(page, '?v=1&pages=PPNS&embed=1&theme=dark');
  // From the compare page: the frame opens the lesson page, which announces itself with the lesson's fields.
  expect(await call(page, { hmmviz: 1, type: 'load', lesson: 'migrate-vma-anatomy' }))
    .toMatchObject({ type: 'reply', ok: true, command: 'load' });
  await expect.poll(async () => (await messages(page, 'ready')).length, { timeout: 60_000 }).toBe(2);
  const ready = (await messages(page, 'ready'))[1];
  expect(ready).toMatchObject({ hmmviz: 1, protocol: 1, lesson: 'migrate-vma-anatomy', beat: 0, notices: [] });
  expect(ready.beats).toBeGreaterThanOrEqual(3);
  const player = frame.locator('.lesson-player');
  await expect(player).toHaveAttribute('data-beat', '1');
  // Embedded: the beat alone (no app header, no beat list, no check panel), the frame's theme, a way out.
  await expect(frame.locator('.topbar')).toHaveCount(0);
  await expect(frame.locator('.beat-list')).toHaveCount(0);
  await expect(frame.locator('#lesson-check')).toHaveCount(0);
  await expect(frame.locator('#app')).toHaveClass(/theme-dark/);
  await expect(frame.locator('#open-full')).toHaveAttribute('href', /lesson=migrate-vma-anatomy&beat=1/);

  const beatEvent = async (beat) => {
    await expect.poll(async () => (await messages(page, 'lesson-beat')).at(-1)?.beat).toBe(beat);
    await expect(player).toHaveAttribute('data-beat', String(beat + 1));
    const e = (await messages(page, 'lesson-beat')).at(-1);
    expect(e).toMatchObject({ hmmviz: 1, lesson: 'migrate-vma-anatomy', beats: ready.beats });
    await expect(frame.locator('#beat-title')).toHaveText(e.title);
  };
  expect(await call(page, { hmmviz: 1, type: 'goto', beat: 2 })).toMatchObject({ ok: true, command: 'goto' });
  await beatEvent(2);
  await call(page, { hmmviz: 1, type: 'step', by: -1 });
  await beatEvent(1);
  await call(page, { hmmviz: 1, type: 'goto', milestone: 'prev' });
  await beatEvent(0);
  await call(page, { hmmviz: 1, type: 'goto', milestone: 'next' });
  await beatEvent(1);
  await call(page, { hmmviz: 1, type: 'step', by: 1000 });
  await beatEvent(ready.beats - 1);
  // Refusals: past the last beat; a command that moves a trace.
  expect(await call(page, { hmmviz: 1, type: 'goto', beat: ready.beats }))
    .toMatchObject({ ok: false, code: 'out-of-range' });
  const seek = await call(page, { hmmviz: 1, type: 'seek', step: 3 });
  expect(seek).toMatchObject({ ok: false, code: 'unavailable' });
  expect(seek.message).toContain('beat by beat');
  expect(await call(page, { hmmviz: 1, type: 'load', lesson: 'no-such' })).toMatchObject({ ok: false, code: 'unknown-lesson' });
  await expect(player).toHaveAttribute('data-beat', String(ready.beats));

  // Another lesson in place, then back to a scenario: the compare page, ready again.
  await call(page, { hmmviz: 1, type: 'load', lesson: 'selftest-anon-read' });
  await expect.poll(async () => (await messages(page, 'lesson-beat')).at(-1)?.lesson, { timeout: 60_000 })
    .toBe('selftest-anon-read');
  await expect(frame.locator('.lesson-player')).toHaveAttribute('data-lesson', 'selftest-anon-read');
  await call(page, { hmmviz: 1, type: 'load', pages: 'PPSS' });
  await expect.poll(async () => (await messages(page, 'ready')).length, { timeout: 60_000 }).toBe(3);
  expect((await messages(page, 'ready'))[2]).toMatchObject({ pages: 'PPSS', step: 0 });
  await expect(frame.locator('#app')).toHaveClass(/embed/);
  await expect(frame.locator('#app')).toHaveClass(/theme-dark/);
});

test('malformed messages (fuzzed) each get an error reply, never a panic; the frame keeps working', async ({ page }) => {
  const frame = await host(page, '?v=1&pages=PPNS&embed=1&lane=unified');
  // Deterministic fuzzing in the host page: values of every JS type, objects mixing the protocol's words with
  // wrong types, unknown fields and junk. Every one of them is malformed, so every one gets an error.
  const sent = await page.evaluate(() => {
    let seed = 12345;
    const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const junk = [null, undefined, true, 0, -1, 1.5, NaN, Infinity, '', 'step', '{', '{"hmmviz":1', '[]', [],
      [1, 2], {}, { a: { b: [] } }, 'x'.repeat(70000), new Date(0), /re/, new Uint8Array(3)];
    const keys = ['hmmviz', 'type', 'id', 'by', 'step', 'pages', 'lesson', 'milestone', 'occurrence', 'event',
      'direction', 'beat', 'lane', 'view', 'lanes', 'align', 'speed', 'theme', 'zz'];
    const words = ['step', 'seek', 'goto', 'set', 'load', 'play', 'nope', 'next', 'deep', 'unified', 'Q', 2, -5,
      1e300, '1', null, [], {}];
    let count = 0;
    for (let i = 0; i < 300; i++) {
      let msg;
      if (i < junk.length) {
        msg = junk[i];
      } else {
        msg = { hmmviz: rand(4) === 0 ? 2 : 1, type: ['step', 'seek', 'goto', 'set', 'load', 'bogus'][rand(6)] };
        // One field of the wrong type or unknown: malformed whatever the rest says.
        const bad = [['by', 'two'], ['step', -3], ['milestone', 'nowhere'], ['lane', 'fast'], ['zz', 1],
          ['pages', 7], ['speed', 3], ['beat', 'x'], ['event', 'boom'], ['lanes', 'Q']][rand(10)];
        for (let k = rand(3); k > 0; k--) msg[keys[rand(keys.length)]] = words[rand(words.length)];
        if (msg.type === 'step' || msg.type === 'seek' || msg.type === 'goto' || msg.type === 'set') {
          msg[bad[0]] = bad[1];
        } else {
          msg.zz = 1;
        }
        msg.type = msg.type === 'load' ? 'load' : msg.type;
      }
      send(msg);
      count++;
    }
    return count;
  });
  await expect.poll(() => page.evaluate(() => received.filter((m) => m.type === 'error').length), { timeout: 15000 })
    .toBe(sent);
  const errors = await messages(page, 'error');
  for (const e of errors) {
    expect(e.hmmviz).toBe(1);
    expect(typeof e.code).toBe('string');
    expect(e.message.length).toBeGreaterThan(10);
  }
  // Nothing moved, and the frame still answers.
  await expect(frame.locator('#step-label')).toHaveText(/^step 0 \//);
  expect(await call(page, { hmmviz: 1, type: 'step', by: 2 })).toMatchObject({ ok: true });
  await expect(frame.locator('#step-label')).toHaveText(/^step 2 \//);
});

test('origin checks: commands from another origin or another frame are dropped unanswered', async ({ page }) => {
  // The frame only takes commands from https://docs.example.org; this host is another.
  const sibling = `<iframe id="other" srcdoc="<script>setInterval(() => parent.frames[0].postMessage({hmmviz:1,type:'step',by:5,id:'sib'},'*'), 100)</script>"></iframe>`;
  const frame = await host(page, '?v=1&pages=PPNS&embed=1&origin=https%3A%2F%2Fdocs.example.org', { ready: false });
  await expect(frame.locator('#step-label')).toBeVisible();
  await page.waitForTimeout(500);
  // Events go only to the named origin, so this host hears nothing, not even ready.
  expect(await page.evaluate(() => received.length)).toBe(0);
  await page.evaluate(() => send({ hmmviz: 1, type: 'step', by: 4, id: 'x' }));
  await page.waitForTimeout(500);
  await expect(frame.locator('#step-label')).toHaveText(/^step 0 \//);
  expect(await page.evaluate(() => received.length)).toBe(0);

  // Without origin=, the parent is heard, but a sibling frame is not.
  const open = await host(page, '?v=1&pages=PPNS&embed=1', { extra: sibling });
  // The sibling posts every 100 ms; the frame is ready (it sent `ready`), so it has heard several by now.
  await page.waitForTimeout(1000);
  await expect(open.locator('#step-label')).toHaveText(/^step 0 \//);
  expect(await page.evaluate(() => received.some((m) => m.id === 'sib'))).toBe(false);
});

test('keys stay with the host until the frame is focused; Escape gives them back', async ({ page }) => {
  const frame = await host(page, '?v=1&pages=PPNS&embed=1&lane=legacy_a');
  await page.locator('#before').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  expect(await page.evaluate(() => hostKeys)).toEqual(['ArrowRight', 'ArrowRight']);
  await expect(frame.locator('#step-label')).toHaveText(/^step 0 \//);

  // Focused (clicked), the frame steps and the host hears nothing.
  await frame.locator('.lane-head').first().click();
  await page.keyboard.press('ArrowRight');
  await expect(frame.locator('#step-label')).toHaveText(/^step 1 \//);
  expect(await page.evaluate(() => hostKeys.length)).toBe(2);

  // Escape hands the keyboard back: the next arrow is the host's.
  await page.keyboard.press('Escape');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.evaluate(() => hostKeys.at(-1))).toBe('ArrowRight');
  expect(await page.evaluate(() => hostKeys.length)).toBe(3);
  await expect(frame.locator('#step-label')).toHaveText(/^step 1 \//);
});
