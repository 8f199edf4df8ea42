// Sharing (issue 12): "copy link" and "copy embed code" put the picture shown on the clipboard; a change of
// scenario or view is a history entry, and Back/Forward bring back the picture the URL names.
import { test, expect } from './fixtures.mjs';

const stepLabel = (page) => page.locator('#step-label');

test.beforeEach(async ({ context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
});

test('copy link copies this step; the link opens the same picture', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&lane=legacy_a');
  await expect(page.locator('.lane')).toHaveCount(3);
  // Every lane computed (the summary comes last), so no later update lands between the key presses.
  await expect(page.locator('#summary')).toBeVisible();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await expect(stepLabel(page)).toHaveText(/^step 5 \//);
  await page.locator('#copy-link').click();
  await expect(page.locator('#share-box')).toContainText('Copied the link');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/^http:\/\/[^?]+\?v=1&pages=PPNS&view=compare&lane=legacy_a&step=5$/);
  await page.goto(link);
  await expect(stepLabel(page)).toHaveText(/^step 5 \//);
  await expect(page.locator('#app')).toHaveAttribute('data-lane', 'legacy_a');
});

test('copy embed code copies an iframe of this step, and the iframe shows it', async ({ page }) => {
  await page.goto('./?v=1&pages=PPPPSSSS&step=40');
  await expect(page.locator('.lane')).toHaveCount(3);
  await page.locator('#copy-embed').click();
  await expect(page.locator('#share-box')).toContainText('Copied the embed code');
  const code = await page.evaluate(() => navigator.clipboard.readText());
  expect(code).toMatch(/^<iframe src="http:\/\/[^"]+\?v=1&amp;pages=PPPPSSSS&amp;view=compare&amp;lane=unified&amp;step=40&amp;embed=1" title="hmmviz"/);
  // The same page, holding only that code: the frame shows step 40, embedded.
  await page.setContent(`<!doctype html><link rel="icon" href="data:,"><div style="width:800px">${code}</div>`);
  const frame = page.frameLocator('iframe');
  await expect(frame.locator('#step-label')).toHaveText(/^step 40 \//);
  await expect(frame.locator('#app')).toHaveClass(/embed/);
});

test('a new scenario or view is a history entry; Back and Forward restore the picture', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&step=3');
  await expect(stepLabel(page)).toHaveText(/^step 3 \//);
  await expect.poll(() => page.url()).toContain('view=compare');
  // A view change: a new entry.
  await page.locator('#view-deep').click();
  await expect.poll(() => page.url()).toContain('view=deep');
  // A scenario change: another.
  await page.locator('#states').fill('SSSS');
  await expect.poll(() => page.url()).toContain('pages=SSSS');
  // Stepping only replaces the entry.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.url()).toContain('step=1');

  await page.goBack();
  await expect.poll(() => page.url()).toContain('pages=PPNS');
  await expect(page.locator('#app')).toHaveAttribute('data-view', 'deep');
  await expect(page.locator('#states')).toHaveValue('PPNS');
  await expect(stepLabel(page)).toHaveText(/^step 3 \//);
  await page.goBack();
  await expect(page.locator('#app')).toHaveAttribute('data-view', 'compare');
  await expect(stepLabel(page)).toHaveText(/^step 3 \//);
  await page.goForward();
  await page.goForward();
  await expect(page.locator('#states')).toHaveValue('SSSS');
  await expect(stepLabel(page)).toHaveText(/^step 1 \//);
  // Back and Forward stayed inside the app.
  expect(page.url()).toContain('pages=SSSS');
});
