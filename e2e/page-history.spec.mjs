// A followed page (issue 11 item 4): click a page in a lane's row to see its entry's history in the followed
// lane, step from change to change with "next change of page N", keep it in the link, stop following.
import { test, expect } from './fixtures.mjs';

const stepLabel = (page) => page.locator('#step-label');

async function stepOf(page) {
  const text = await stepLabel(page).textContent();
  const match = /step (\d+) \/ (\d+)/.exec(text ?? '');
  if (!match) throw new Error(`no step in ${JSON.stringify(text)}`);
  return { at: Number(match[1]), len: Number(match[2]) };
}

/** The PTE kind class (k-…) of an element. */
async function kindOf(locator) {
  const cls = (await locator.getAttribute('class')) ?? '';
  const kind = cls.split(/\s+/).find((c) => c.startsWith('k-'));
  if (!kind) throw new Error(`no kind in ${JSON.stringify(cls)}`);
  return kind;
}

test('clicking a page follows its history; next change walks its writes to the end', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&lane=unified');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#page-history')).toHaveCount(0);

  const cell = page.locator('#lane-unified .pte[data-page="0"]');
  await cell.click();
  const panel = page.locator('#page-history');
  await expect(panel).toHaveAttribute('data-page', '0');
  await expect(panel.locator('h3')).toContainText('Page 0');
  await expect(cell).toHaveClass(/followed/);
  const changes = Number(await panel.getAttribute('data-changes'));
  // Present, a migration entry, device-private: at least two writes in the unified lane.
  expect(changes).toBeGreaterThanOrEqual(2);
  await expect(page.locator('#page-prev-change')).toBeDisabled();
  // The list's steps, in order.
  const listed = (await panel.locator('.page-changes li button').allTextContents()).map((t) => Number(t.replace('step ', '')));
  expect(listed).toHaveLength(changes);

  const seen = [];
  for (let i = 0; i < changes; i++) {
    const before = (await stepOf(page)).at;
    await page.locator('#page-next-change').click();
    await expect.poll(async () => (await stepOf(page)).at).toBeGreaterThan(before);
    const { at } = await stepOf(page);
    seen.push(at);
    // The history's "now" and the lane's cell agree at every change.
    await expect.poll(async () => kindOf(page.locator('#page-history-now'))).toBe(await kindOf(cell));
  }
  expect(seen).toEqual(listed);
  await expect(page.locator('#page-next-change')).toBeDisabled();
  await expect(page.locator('#page-history-now')).toHaveClass(/k-migration|k-device_private/);

  // Back one change.
  await page.locator('#page-prev-change').click();
  await expect.poll(async () => (await stepOf(page)).at).toBe(listed[listed.length - 2]);

  // The link keeps the followed page.
  await expect.poll(() => page.url()).toContain('page=0');
  await page.reload();
  await expect(page.locator('#page-history')).toHaveAttribute('data-page', '0');

  // A list entry seeks; × stops following, and the link forgets it.
  await page.locator('#page-history .page-changes li button').first().click();
  await expect.poll(async () => (await stepOf(page)).at).toBe(listed[0]);
  await page.locator('#page-history-close').click();
  await expect(page.locator('#page-history')).toHaveCount(0);
  await expect.poll(() => page.url()).not.toContain('page=0');
});

test('another page, by keyboard, and a page past the range in the link is said', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&lane=legacy_a');
  await expect(page.locator('.lane')).toHaveCount(3);
  await page.locator('#lane-legacy_a .pte[data-page="2"]').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#page-history')).toHaveAttribute('data-page', '2');
  await expect(page.locator('#page-history h3')).toContainText('Legacy A');
  // Legacy A faults the none page in before migrating it.
  expect(Number(await page.locator('#page-history').getAttribute('data-changes'))).toBeGreaterThanOrEqual(2);

  await page.goto('./?v=1&pages=PPNS&page=9');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#page-history')).toHaveCount(0);
  await expect(page.locator('.notice').first()).toContainText('Page 9 is past the end');
});
