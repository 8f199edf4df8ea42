// The thin end-to-end path: the page loads the wasm app, and what the user types is parsed by hmm-sim in the
// browser and shown page by page (or hmm-sim's error is shown).
import { test, expect } from './fixtures.mjs';

test.beforeEach(async ({ page }) => {
  await page.goto('./');
  // The app has started once it has rendered the initial scenario.
  await expect(page.locator('#pages li')).toHaveCount(5);
});

test('shows each page of the initial scenario with its description', async ({ page }) => {
  await expect(page.locator('#states')).toHaveValue('PPNSZ');
  await expect(page.locator('#pages .letter')).toHaveText(['P', 'P', 'N', 'S', 'Z']);
  await expect(page.locator('#pages li').nth(2)).toContainText('never touched (pte_none)');
});

test('typing a state string re-parses it on every key', async ({ page }) => {
  const input = page.locator('#states');
  await input.fill('');
  await input.pressSequentially('DOS');
  await expect(page.locator('#pages .letter')).toHaveText(['D', 'O', 'S']);
  await expect(page.locator('.pages h2')).toHaveText('3 pages');

  await input.press('q');
  await expect(page.getByRole('alert')).toHaveText(
    "bad page letter 'q' at position 3: expected one of P C Z N S D O",
  );
  await expect(page.locator('#pages')).toHaveCount(0);

  await input.press('Backspace');
  await expect(page.locator('#pages .letter')).toHaveText(['D', 'O', 'S']);
});

test('a preset button loads its scenario', async ({ page }) => {
  await page.getByRole('button', { name: 'Needs faulting' }).click();
  await expect(page.locator('#states')).toHaveValue('PNNSZPNS');
  await expect(page.locator('#pages li')).toHaveCount(8);
  await expect(page.locator('#pages li').nth(3)).toContainText('swapped out (swap entry)');
});
