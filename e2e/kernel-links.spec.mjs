// Kernel functions link to their definitions for the kernel version the run simulates (web/kernel-refs.tsv,
// web/src/kernel_refs.rs): lines read in the v7.2.13 source link to the line (the 2026 variant); for v6.14 and
// v6.15 no line is verified, so each goes to Elixir's definition search for that tag and says so; the
// simulator's own function is named beside it.
import { test, expect } from './fixtures.mjs';

test('the compare narration links the function for the lanes\' kernel and names the model', async ({ page }) => {
  await page.goto('./?v=1&pages=PPNS&lane=legacy_a&step=5');
  await expect(page.locator('.lane')).toHaveCount(3);
  const func = (await page.locator('#narration-func').textContent()).trim();
  const link = page.locator('#narration-kernel-link');
  await expect(link).toHaveAttribute('href', `https://elixir.bootlin.com/linux/v6.15/A/ident/${func}`);
  await expect(link).toHaveAttribute('data-verified', 'false');
  await expect(link).toHaveAttribute('title', /not verified/);
  await expect(page.locator('#narration-sim')).toContainText('model: crates/hmm-sim/src/');
});

test('the race lab links each step\'s function in the kernel version chosen', async ({ page }) => {
  test.setTimeout(60_000);
  for (const [kernel, tag] of [['6.14', 'v6.14'], ['6.15', 'v6.15']]) {
    await page.goto(`./?race=livelock-6-14&kernel=${kernel}&schedule=t1,t2,t3`);
    await expect(page.locator('#race-lab')).toBeVisible({ timeout: 25_000 });
    const links = page.locator('#race-swimlanes a.func-link');
    await expect(links.first()).toBeVisible();
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(new RegExp(`^https://elixir\\.bootlin\\.com/linux/${tag.replace('.', '\\.')}/`));
    await expect(links.first()).toHaveAttribute('title', /modelled in crates\/hmm-sim\/src\//);
  }
  // The 2026 variant's functions link to their verified line in v7.2.13.
  await page.goto('./?race=livelock-6-14&kernel=2026&schedule=t1,t2,t3');
  await expect(page.locator('#race-lab')).toBeVisible({ timeout: 25_000 });
  const verified = page.locator('#race-swimlanes a.func-link[data-verified="true"]');
  await expect(verified.first()).toBeVisible();
  const hrefs = await verified.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const href of hrefs) expect(href).toMatch(/^https:\/\/elixir\.bootlin\.com\/linux\/v7\.2\.13\/source\/[a-z0-9_/]+\.[ch]#L\d+$/);
});

test('the unified lane\'s title names the entry point its run used', async ({ page }) => {
  await page.goto('./?v=1&pages=PPPPOOOO');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#lane-unified .lane-sub')).toHaveText('one walk: hmm_range_fault with HMM_PFN_REQ_MIGRATE');
  await page.goto('./?v=1&pages=PPPPOOOO&unified_entry=migrate_vma_fault');
  await expect(page.locator('.lane')).toHaveCount(3);
  await expect(page.locator('#lane-unified .lane-sub')).toHaveText('one walk: migrate_vma_setup with MIGRATE_VMA_FAULT');
  await expect(page.locator('#lane-legacy_a .lane-sub')).toHaveText('hmm_range_fault, then migrate_vma_*');
});
