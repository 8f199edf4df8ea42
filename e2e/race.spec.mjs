// The race lab (issue 11, part 2): the 6.14 do_swap_page livelock reproduced from a link, by clicking threads
// by hand, and by "find a bad schedule"; 6.15 and 2026 complete the same scenario under the lessons' round
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
  // The repeating cycle is found in the run's events: its period is said and its last turn highlighted.
  const period = Number(await page.locator('#race-cycle').getAttribute('data-period'));
  expect(period).toBeGreaterThan(1);
  await expect(page.locator('#race-cycle')).toContainText(`repeats every ${period} steps`);
  if (period <= 400) await expect(page.locator('#race-swimlanes tr.cycle')).toHaveCount(period);
});

test('the search shows its progress and can be stopped', async ({ page }) => {
  test.setTimeout(120_000);
  // 2026 has no bad schedule, so the search runs on until it is stopped (or has tried them all).
  await open(page, '?race=livelock-6-14&kernel=2026');
  await page.locator('#race-find').click();
  await expect(page.locator('#race-search')).toContainText(/\d+ of at most 200 schedules tried/);
  await page.locator('#race-stop').click();
  await expect(page.locator('#race-search')).toContainText(/Stopped after \d+ schedules/);
  await expect(page.locator('#race-find')).toBeEnabled();
  const tried = await page.locator('#race-search').textContent();
  await page.waitForTimeout(500);
  await expect(page.locator('#race-search')).toHaveText(tried);
});

test('seed-004: without the owner filter, legacy B deadlocks on its own driver lock', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=notifier-owner-filter:d');
  // One thread, so no choice to make: the lab runs it to its end on open ("run on" has nothing to do).
  await expect(outcome(page)).toHaveAttribute('data-end', 'deadlock', { timeout: 60_000 });
  await expect(outcome(page)).toContainText('held by T0');
  await expect(outcome(page)).toContainText('Deadlock');
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

// Round robin is fair: on 6.14 a later migration attempt happens while the other threads sleep on the page's
// migration entry (collect locked the page) holding no reference, so it completes; the livelock needs the
// unfair schedules of the tests above.
test('the same scenario on 6.14, 6.15 and 2026 under round robin: all complete', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=livelock-6-14&kernel=6.14');
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  await page.locator('#race-kernel-6\\.15').click();
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  await expect(page).toHaveURL(/kernel=6\.15/);
  await page.locator('#race-kernel-2026').click();
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

// Races built in the page (issue 11, part 2): the builder's fields are a lesson text read by hmm-lesson's parser,
// the build is in the link, and bad input gets the parser's diagnostic with its line and column.
test('builder: the seed-003 scenario built in the page livelocks on 6.14, its link rebuilds it, 6.15 completes it', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=built&kernel=6.14');
  await expect(page.locator('#race-builder')).toHaveAttribute('open');
  await expect(page.locator('#race-lab')).toHaveAttribute('data-race', 'built');
  await expect(page.locator('#build-threads')).toHaveValue(/t1: cpu read pages=0/);
  await expect(page.locator('.race-thread')).toHaveCount(3);
  await page.locator('#race-find').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock', { timeout: 60_000 });
  await expect(page).toHaveURL(/race=built/);
  await expect(page).toHaveURL(/threads=t1%3A%20cpu%20read%20pages%3D0/);
  await expect(page).toHaveURL(/driver=fault_lock,owner_filter/);
  // The witness is a link: reloading it rebuilds the race and replays the schedule to the livelock.
  const link = page.url();
  await page.goto(link);
  await expect(page.locator('#race-lab')).toHaveAttribute('data-race', 'built', { timeout: 25_000 });
  await expect(outcome(page)).toHaveAttribute('data-end', 'livelock', { timeout: 60_000 });
  await page.locator('#race-kernel-6\\.15').click();
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
});

test('builder: bad input is the parser\'s diagnostic at its line and column; two threads built by hand run', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=built&kernel=2026');
  await page.locator('#build-threads').fill('a: cpu reed pages=0');
  await page.locator('#build-run').click();
  await expect(page.locator('#build-error')).toContainText(/built-race\.md:\d+:\d+: .*reed/);
  await expect(page.locator('#build-lesson')).toContainText('a: cpu reed pages=0');
  await page.locator('#build-states').fill('DQ');
  await page.locator('#build-threads').fill('a: cpu read pages=0');
  await page.locator('#build-run').click();
  await expect(page.locator('#build-error')).toContainText("built-race.md:10:12: scenario.states: bad page letter 'Q'");
  await page.locator('#build-states').fill('DD');
  await page.locator('#build-devices').fill('1');
  await page.locator('#build-threads').fill('a: cpu write pages=0..2 value=7\nb: cpu read pages=1');
  await page.locator('#build-run').click();
  await expect(page.locator('#build-error')).toHaveCount(0);
  await expect(page.locator('.race-thread')).toHaveCount(2);
  await expect(page).toHaveURL(/states=DD&devices=1&/);
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  // Another race drops the build from the link.
  await page.locator('#race-pick').selectOption('livelock-6-14');
  await expect(page).not.toHaveURL(/threads=/);
});

test('the test_hmm WRITE-vs-migration race is built in and runs to its end', async ({ page }) => {
  test.setTimeout(120_000);
  await open(page, '?race=test-hmm-write-vs-migration');
  await expect(page.locator('#race-lab')).toHaveAttribute('data-kernel', '2026');
  await expect(page.locator('.race-thread')).toHaveCount(2);
  await page.locator('#race-round-robin').click();
  await expect(outcome(page)).toHaveAttribute('data-end', 'completed', { timeout: 60_000 });
  await expect(page.locator('#race-swimlanes thead')).toContainText('w');
  await expect(page.locator('#race-swimlanes thead')).toContainText('m');
  await expect(page.locator('#race-swimlanes')).toContainText('dmirror_migrate_to_device');
});
