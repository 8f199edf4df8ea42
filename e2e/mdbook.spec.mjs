// mdBook (issue 12): the example book (integrations/mdbook/example) is built by a real `mdbook build` (installed
// by `cargo xtask setup` with `cargo install mdbook --locked`, pinned), served, and loaded: the page's HTML
// snippet is a frame showing its scenario, step and lanes, with no console error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures.mjs';
import { startHost } from './hosts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mdbook = process.env.MDBOOK || 'mdbook';

test('mdbook build makes a page whose hmmviz frame shows what the snippet says', async ({ page }) => {
  test.setTimeout(120_000);
  const out = mkdtempSync(path.join(os.tmpdir(), 'hmmviz-mdbook-'));
  execFileSync(mdbook, ['build', path.join(root, 'integrations/mdbook/example'), '--dest-dir', out], { stdio: 'inherit' });
  const host = await startHost({ '/book/': out });
  try {
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.goto(`${host.url}book/migration.html`);
    const frame = page.frameLocator('iframe.hmmviz');
    await expect(frame.locator('.lane')).toHaveCount(2);
    await expect(frame.locator('#lane-legacy_b .pte')).toHaveCount(4);
    await expect(frame.locator('#lane-unified .pte')).toHaveCount(4);
    await expect(frame.locator('#step-label')).toHaveText(/^step 12 \//);
  } finally {
    await host.close();
  }
});
