// Limits in the browser (issue 14): a scenario inside the page cap whose unified lane is longer than the
// browser keeps. It used to die with `RuntimeError: unreachable` while "Computing" spun forever; now the lane
// stops at the named budget, the app says so, and the page stays usable. The fixture fails the test on any
// console error or uncaught exception (a wasm trap is one).
import { test, expect } from './fixtures.mjs';

const stepLabel = (page) => page.locator('#step-label');

test('a lane past the browser\'s trace budget stops with a notice naming lane and limit; the page stays usable', async ({ page }) => {
  // O*32768: legacy A and B run to their end (about 8.1 million events each); unified would need more than
  // 50 million and stops at 8,388,608. A dev build computes it in about half a minute.
  test.setTimeout(240_000);
  await page.goto('./?v=1&pages=O*32768&lane=unified');
  await expect(page.locator('#computing, .lane').first()).toBeVisible();
  await expect(page.locator('.lane')).toHaveCount(3, { timeout: 200_000 });
  await expect(page.locator('#computing')).toHaveCount(0);

  // One notice, for the one lane that stopped: which lane, the limit, where, and the CLI.
  await expect(page.locator('#limit-notices .notice')).toHaveCount(1);
  const notice = page.locator('#limit-unified');
  await expect(notice).toContainText('The Unified lane stopped at step 8,388,608');
  await expect(notice).toContainText('the browser keeps at most 8,388,608 events per lane');
  await expect(notice).toContainText(/It stopped in thread T0 in \w+/);
  await expect(notice).toContainText('hmmviz compare --pages O*32768');
  await expect(page.locator('#lane-unified .lane-stopped')).toContainText("Stopped at the browser's limit of 8,388,608 events per lane");
  await expect(page.locator('#lane-legacy_a .lane-stopped')).toHaveCount(0);
  await page.locator('#summary-show').click();
  await expect(page.locator('#summary .agree')).toContainText('Unified stopped at the browser\'s trace limit');

  // The partial lane is explorable up to where it stopped, both ways.
  await expect(stepLabel(page)).toHaveText('step 0 / 8388608');
  await page.locator('#btn-forward').click();
  await expect(stepLabel(page)).toHaveText('step 1 / 8388608');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await expect(stepLabel(page)).toHaveText('step 2 / 8388608');
  await page.keyboard.press('End');
  await expect(stepLabel(page)).toHaveText('step 8388608 / 8388608');
  await page.keyboard.press('ArrowLeft');
  await expect(stepLabel(page)).toHaveText('step 8388607 / 8388608');
  await expect(page.locator('#lane-unified .lane-step')).toHaveText('step 8388607 / 8388608');
});
