// A large scenario runs in the Web Worker (crate::compute): progress per lane, the followed lane first and
// explorable while the others compute, and a Stop button that ends the run and keeps the page usable.
import { test, expect } from './fixtures.mjs';

test('a large scenario computes in the worker, the followed lane first, with progress per lane', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('./?v=1&pages=P*20000&lane=unified');
  const progress = page.locator('#computing');
  await expect(progress).toBeVisible();
  await expect(progress).toContainText('Computing the three lanes of 20,000 pages');
  // The worker takes the followed lane first: the progress list starts with it.
  await expect(page.locator('.compute-lane').first()).toHaveId('compute-unified');
  await expect(page.locator('#compute-unified')).toHaveClass(/running|preparing|done/);
  await expect(page.locator('#lane-unified')).toBeVisible({ timeout: 200_000 });
  // Explorable at once (whether or not the others are in yet).
  await page.locator('body').click({ position: { x: 3, y: 3 } });
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('#lane-unified .lane-step')).toHaveText(/^step 1 \//);
  await expect(progress).toHaveCount(0, { timeout: 200_000 });
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#summary')).toBeVisible();
  await expect(page.locator('#overview .overview-row')).toHaveCount(3);
});

test('Stop ends a run: the lanes not yet computed are named, and the page stays usable', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('./?v=1&pages=P*60000&lane=legacy_a');
  await expect(page.locator('#cancel-compute')).toBeVisible();
  await page.locator('#cancel-compute').click();
  await expect(page.locator('#computing')).toHaveCount(0);
  await expect(page.locator('.notice').filter({ hasText: 'Stopped computing P*60000' })).toContainText('not computed');
  await page.locator('#states').fill('PPSS');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#step-label')).toHaveText(/^step 0 \//);
});
