// A THP in the compare view: its 2 MiB chunk is one PMD entry, drawn as one cell across the pages it maps
// (not 512 pte_none cells: the pages have no PTE), expandable to what each page reads through the entry;
// when 6.15 splits it, the chunk becomes PTEs.
import { test, expect } from './fixtures.mjs';

test('a THP shows as one PMD entry, expands to its pages, and turns into PTEs when split', async ({ page }) => {
  await page.goto('./?v=1&pages=H*512P*8');
  await expect(page.locator('.lane')).toHaveCount(3);
  const lane = page.locator('#lane-legacy_a');
  const leaf = lane.locator('.pmd-leaf');
  await expect(leaf).toHaveCount(1);
  await expect(leaf).toHaveAttribute('title', /one PMD entry maps pages 0–511 \(2 MiB\): present/);
  await expect(lane.locator('.pte.k-none')).toHaveCount(0);

  await lane.locator('.pmd-toggle').click();
  await expect(lane.locator('.pmd-leaf')).toHaveCount(0);
  await expect(lane.locator('.pte.via-pmd')).toHaveCount(64);
  await expect(lane.locator('.pte.via-pmd.k-present_rw').first()).toBeVisible();
  await lane.locator('.pmd-toggle').click();
  await expect(lane.locator('.pmd-leaf')).toHaveCount(1);

  // At the end of the run 6.15 has split the THP and migrated its pages: PTEs, no PMD entry.
  await page.goto('./?v=1&pages=H*512P*8&step=99999999');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(lane.locator('.pmd-leaf')).toHaveCount(0);
  await expect(lane.locator('.pte.k-device_private_write, .pte.k-device_private_read').first()).toBeVisible();
});
