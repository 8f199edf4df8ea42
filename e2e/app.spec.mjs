// End-to-end tests of the app in the system Chromium: load, keyboard time travel, play, scrub, views and lanes,
// URL state (round trip, reload, bad parameters). The fixture fails every test on any console error or
// uncaught exception, so each of these also checks "zero console errors throughout".
import { test, expect } from './fixtures.mjs';

const stepLabel = (page) => page.locator('#step-label');

/** The step number the transport shows. */
async function stepOf(page) {
  const text = await stepLabel(page).textContent();
  const match = /step (\d+) \/ (\d+)/.exec(text ?? '');
  if (!match) throw new Error(`no step in ${JSON.stringify(text)}`);
  return { at: Number(match[1]), len: Number(match[2]) };
}

async function open(page, query = '') {
  await page.goto(`./${query}`);
  // The app has started once it has drawn the three lanes.
  await expect(page.locator('.lane')).toHaveCount(3);
}

test('opens on three lanes of the default scenario, with a legend and the simplifications', async ({ page }) => {
  await open(page);
  await expect(page.locator('#states')).toHaveValue('PPPPSSSS');
  await expect(stepLabel(page)).toHaveText(/^step 0 \/ \d+$/);
  for (const lane of ['legacy_a', 'legacy_b', 'unified']) {
    await expect(page.locator(`#lane-${lane} .pte`)).toHaveCount(8);
  }
  await expect(page.locator('#lane-unified .pte .glyph')).toHaveText(['W', 'W', 'W', 'W', 'S', 'S', 'S', 'S']);
  await expect(page.locator('#legend')).toContainText('migration entry (write)');
  await expect(page.locator('.simplified')).toContainText('simplified: THP');
  // The end-of-run counters give the result away: folded at step 0 until asked for.
  await expect(page.locator('#summary')).not.toContainText('walks');
  await page.locator('#summary-show').click();
  await expect(page.locator('#summary')).toContainText('walks');
  // The narration is an aria-live region.
  await expect(page.locator('#narration')).toHaveAttribute('aria-live', 'polite');
});

test('steps forward and back by keyboard, milestones with Shift, Home and End', async ({ page }) => {
  await open(page, '?v=1&pages=PPNS&lane=legacy_a');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(stepLabel(page)).toHaveText(/^step 3 \//);
  await page.keyboard.press('ArrowLeft');
  await expect(stepLabel(page)).toHaveText(/^step 2 \//);
  await page.keyboard.press('Shift+ArrowRight');
  await expect(page.locator('#narration-line')).toHaveText(/^milestone: /);
  const atMilestone = (await stepOf(page)).at;
  await page.keyboard.press('Shift+ArrowRight');
  // The step label updates on the next render: poll rather than read once.
  await expect.poll(async () => (await stepOf(page)).at).toBeGreaterThan(atMilestone);
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(stepLabel(page)).toHaveText(new RegExp(`^step ${atMilestone} /`));
  await page.keyboard.press('End');
  await expect.poll(async () => { const { at, len } = await stepOf(page); return at === len; }).toBe(true);
  await expect(page.locator('#lane-legacy_a .pte.k-device_private_write')).toHaveCount(4);
  await page.keyboard.press('Home');
  await expect(stepLabel(page)).toHaveText(/^step 0 \//);
});

test('Space plays and pauses; the speed control works', async ({ page }) => {
  await open(page, '?v=1&pages=PPNS');
  await page.locator('#speed').selectOption({ label: '8×' });
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Space');
  await expect(page.locator('#btn-play')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(async () => (await stepOf(page)).at, { timeout: 5000 }).toBeGreaterThan(10);
  await page.keyboard.press('Space');
  await expect(page.locator('#btn-play')).toHaveAttribute('aria-pressed', 'false');
  const paused = (await stepOf(page)).at;
  await page.waitForTimeout(300);
  expect((await stepOf(page)).at).toBe(paused);
  // The URL follows once paused.
  await expect.poll(() => page.url()).toContain(`step=${paused}`);
  await expect.poll(() => page.url()).toContain('speed=8');
});

test('scrubbing and milestone marks seek; backward is as immediate as forward', async ({ page }) => {
  await open(page, '?v=1&pages=PPPPSSSS');
  const { len } = await stepOf(page);
  await page.locator('#scrubber').fill(String(Math.floor(len / 2)));
  await expect(stepLabel(page)).toHaveText(new RegExp(`^step ${Math.floor(len / 2)} /`));
  await page.locator('#scrubber').fill('7');
  await expect(stepLabel(page)).toHaveText(/^step 7 \//);
  const marks = page.locator('.marks .mark');
  expect(await marks.count()).toBeGreaterThan(2);
  await marks.nth(1).click();
  await expect(page.locator('#narration-line')).toHaveText(/^milestone: /);
});

test('a newcomer finds the moment a migration entry was installed, the function and the lock', async ({ page }) => {
  await open(page, '?v=1&pages=PPNS&lane=legacy_a');
  await page.getByRole('button', { name: /^Play/ }).click();
  await expect.poll(async () => (await stepOf(page)).at).toBeGreaterThan(3);
  await page.getByRole('button', { name: /^Pause/ }).click();
  await page.keyboard.press('End');
  // Back to the last migration entry installed (the default "jump to" kind).
  await page.getByRole('button', { name: /Previous event of this kind/ }).click();
  await expect(page.locator('#narration-line')).toContainText('migration_');
  await expect(page.locator('#narration-func')).toHaveText(/^(migrate_vma_collect_pmd|try_to_migrate_one)$/);
  await expect(page.locator('#narration-locks')).toContainText('PTL of PTE table 0x80 (mm0)');
});

test('switches view and lane; the URL says so and a reload shows the same picture', async ({ page }) => {
  await open(page, '?v=1&pages=PPSN');
  await page.getByRole('button', { name: 'Look inside a lane' }).click();
  await expect(page.locator('#deep-view')).toBeVisible();
  await expect(page.locator('.lane')).toHaveCount(0);
  await page.locator('#lane-pick-legacy_b').click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await expect.poll(() => page.url()).toContain('view=deep');
  await expect.poll(() => page.url()).toContain('lane=legacy_b');
  const url = page.url();
  const step = (await stepOf(page)).at;
  const narration = await page.locator('#narration-line').textContent();
  expect(url).toContain(`step=${step}`);
  expect(url).toContain('pages=PPSN');
  expect(url).toContain('v=1');

  await page.reload();
  await expect(page.locator('#deep-view')).toBeVisible();
  await expect(stepLabel(page)).toHaveText(new RegExp(`^step ${step} /`));
  await expect(page.locator('#narration-line')).toHaveText(narration ?? '');
  await expect(page.locator('#lane-pick-legacy_b')).toHaveAttribute('aria-pressed', 'true');

  // Keyboard: v toggles back to compare.
  await page.keyboard.press('v');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect.poll(() => page.url()).toContain('view=compare');
});

test('a shared link opens at the exact step in a fresh page', async ({ page, context }) => {
  await open(page, '?v=1&pages=PCZNSDO&view=compare&lane=unified&step=120');
  await expect(stepLabel(page)).toHaveText(/^step 120 \//);
  const narration = await page.locator('#narration-line').textContent();
  const other = await context.newPage();
  const problems = [];
  other.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  other.on('pageerror', (e) => problems.push(e.message));
  await other.goto(page.url());
  await expect(other.locator('#step-label')).toHaveText(/^step 120 \//);
  await expect(other.locator('#narration-line')).toHaveText(narration ?? '');
  expect(problems).toEqual([]);
});

test('bad URL parameters give visible messages and sane defaults, never a blank page', async ({ page }) => {
  await page.goto('./?v=99&pages=PP%21Q&view=sideways&lane=fastest&step=banana&speed=1000&extra=1');
  await expect(page.locator('.lane')).toHaveCount(3);
  const notices = page.locator('#notices');
  await expect(notices).toContainText('URL version');
  await expect(notices).toContainText('cannot be run');
  await expect(notices).toContainText('Unknown view');
  await expect(notices).toContainText('Unknown lane');
  await expect(notices).toContainText('not a step number');
  await expect(page.locator('#states')).toHaveValue('PPPPSSSS');
  // Dismissing a message removes it.
  const before = await notices.locator('.notice').count();
  await notices.getByRole('button', { name: 'Dismiss this message' }).first().click();
  await expect(notices.locator('.notice')).toHaveCount(before - 1);

  // Seven digits: hmm-sim's parser reads at most seven after `*` (P*999999999 is, to it, P*9999999 then a bad
  // letter '9'), so this is the largest count that reaches its page limit.
  await page.goto('./?pages=P*9999999&step=99999999');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#notices')).toContainText('more than');

  await page.goto('./?v=1&pages=PPNS&step=99999');
  await expect(page.locator('#notices')).toContainText('past the end');
  const { at, len } = await stepOf(page);
  expect(at).toBe(len);
});

test('typing a scenario validates it as you type and presets load theirs', async ({ page }) => {
  await open(page);
  const input = page.locator('#states');
  await input.fill('PPQ');
  await expect(page.getByRole('alert')).toContainText("bad page letter 'Q' at position 2");
  await expect(page.locator('.lane')).toHaveCount(3);
  await input.fill('P*3N');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.locator('#lane-unified .pte')).toHaveCount(4);
  await page.getByRole('button', { name: 'COW pages' }).click();
  await expect(input).toHaveValue('PCPCCPPC');
  await expect(page.locator('#lane-unified .pte.k-present_ro')).toHaveCount(4);
  await page.getByRole('button', { name: '512-page chunk' }).click();
  await expect(page.locator('#lane-unified .pte')).toHaveCount(64);
  await expect(page.locator('#lane-unified .minimap')).toHaveCount(1);
  await expect.poll(() => page.url()).toContain('pages=P*512');
});

test('the key map opens with ? and every control shows focus', async ({ page }) => {
  await open(page);
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog')).toContainText('play / pause');
  // The dialog is modal: Tab keeps focus inside it.
  await expect(page.locator('#help-close')).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  await expect(page.locator('#help-close')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  // Tab to the play button: it has a visible focus outline.
  const play = page.locator('#btn-play');
  await play.focus();
  const outline = await play.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');
});

test('a large scenario is computed after a first paint, then shows a window of pages and a minimap', async ({ page }) => {
  await page.goto('./?v=1&pages=P*2100&lane=legacy_b&step=5000');
  // Either still computing, or already done: never a blank page.
  await expect(page.locator('#computing, .lane').first()).toBeVisible();
  await expect(page.locator('.lane')).toHaveCount(3, { timeout: 20_000 });
  await expect(stepLabel(page)).toHaveText(/^step 5000 \//);
  await expect(page.locator('#lane-legacy_b .pte')).toHaveCount(64);
  await expect(page.locator('#lane-legacy_b .minimap')).toHaveCount(1);
  await expect(page.locator('#lane-legacy_b .pte-row')).toHaveClass(/dense/);
  await page.keyboard.press('ArrowLeft');
  await expect(stepLabel(page)).toHaveText(/^step 4999 \//);
});

test('the deep view timeline seeks where it is clicked', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&view=deep&lane=unified&step=150');
  await expect(page.locator('#timeline svg')).toBeVisible();
  await expect(page.locator('#timeline .tl-call').first()).toBeAttached();
  // The window is 300 steps wide around step 150 (±150): its left edge is step 0.
  await page.locator('#timeline svg').click({ position: { x: 2, y: 30 } });
  await expect.poll(async () => (await stepOf(page)).at).toBeLessThan(10);
  await page.locator('#timeline').getByRole('button', { name: '±40' }).click();
  await expect(page.locator('#timeline .tl-range')).toContainText('steps 0–80');
});

test('the theme is the reader\'s: kept across a reload, not put in the URL', async ({ page }) => {
  await open(page);
  await expect(page.locator('#theme-button')).toHaveText('theme: system');
  await page.keyboard.press('t');
  await expect(page.locator('#app')).toHaveClass(/theme-dark/);
  await page.reload();
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#theme-button')).toHaveText('theme: dark');
  await expect(page.locator('#app')).toHaveClass(/theme-dark/);
  expect(page.url()).not.toContain('theme');
});
