// The race lab (issue 11, part 2): the 6.14 do_swap_page livelock reproduced from a link, by clicking threads
// by hand, and by "find a bad schedule"; 6.15 and 6.18 complete the same scenario under the lessons' round
// robin. Verdicts are hmm-sim's runs classified by hmm-lesson (web/src/race/model.rs has the same cases).
import { test, expect } from './fixtures.mjs';

const outcome = (page) => page.locator('#race-outcome');

async function open(page, query) {
  await page.goto(`./${query}`);
  await expect(page.locator('#race-lab')).toBeVisible({ timeout: 25_000 });
}

test('by hand: t1 t2 t3 three times, t1 t2, then run on: 6.14 livelocks; undo takes a choice back', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=livelock-6-14&kernel=6.14');
  await expect(outcome(page)).toHaveAttribute('data-end', 'paused');
  await page.locator('#race-step-t1').click();
  await page.locator('#race-step-t2').click();
  await expect(page.locator('#race-lab')).toHaveAttribute('data-choices', '2');
  await page.locator('#race-undo').click();
  await expect(page.locator('#race-lab')).toHaveAttribute('data-choices', '1');
  await page.locator('#race-step-t2').click();
  for (const t of ['t3', 't1', 't2', 't3', 't1', 't2', 't3', 't1', 't2']) {
    await page.locator(`#race-step-${t}`).click();
  }
  await expect(page.locator('#race-lab')).toHaveAttribute('data-choices', '11');
  await expect(page).toHaveURL(/schedule=t1,t2,t3,t1,t2,t3,t1,t2,t3,t1,t2/);
  // Paused: every thread holds mmap_lock for read, each can be stepped.
  await expect(page.locator('.race-thread[data-thread="t1"] .race-holds')).toContainText('mmap_lock');
  await page.locator('#race-run-on').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock', { timeout: 60_000 });
  await expect(outcome(page)).toContainText('made no progress');
  await expect(page.locator('#race-swimlanes tr.cycle').first()).toBeVisible();
});

test('find a bad schedule on 6.14: a livelock whose link replays it', async ({ page }) => {
  test.setTimeout(180_000);
  await open(page, '?race=livelock-6-14&kernel=6.14');
  await page.locator('#race-find').click();
  await expect(page.locator('#race-search')).toContainText('Found a livelock', { timeout: 150_000 });
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock');
  // Run-length encoded: thousands of choices, a short link.
  await expect(page).toHaveURL(/schedule=t\d(\*\d+)?(,t\d(\*\d+)?)+$/);
  const link = page.url();
  await page.goto(link);
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock', { timeout: 60_000 });
  await expect(page.locator('#race-notice')).toHaveCount(0);
});

test('the same scenario on 6.14, 6.15 and 6.18 under round robin: livelock, completed, completed', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=livelock-6-14&kernel=6.14');
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock', { timeout: 60_000 });
  await page.locator('#race-kernel-6\\.15').click();
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  await expect(page).toHaveURL(/kernel=6\.15/);
  await page.locator('#race-kernel-6\\.18').click();
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  await expect(outcome(page)).toContainText('every thread finished');
});

test('a bad race link is said, not a crash', async ({ page }) => {
  await open(page, '?race=nope&kernel=7.0&schedule=t9');
  await expect(page.locator('#race-notice')).toContainText('nope');
  await expect(page.locator('#race-notice')).toContainText('kernel=7.0');
  await expect(outcome(page)).toHaveAttribute('data-end', 'paused');
});
