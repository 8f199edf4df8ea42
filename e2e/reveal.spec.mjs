// reveal.js (issue 12): the example deck (integrations/reveal/example.html) with the hmmviz plugin, in a real
// reveal.js (the npm package, pinned in package.json). Pressing the deck's keys shows fragments, and the
// embedded frame moves to each fragment's milestone through the postMessage protocol; going back moves it
// back. The fixture fails the test on any console error of the deck or the frame.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures.mjs';
import { startHost } from './hosts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('deck keys drive the embedded frame through milestones, forward and back', async ({ page }) => {
  const host = await startHost({
    '/deck/reveal/': path.join(root, 'node_modules/reveal.js/dist'),
    '/deck/': path.join(root, 'integrations/reveal'),
  });
  try {
    await page.setViewportSize({ width: 1280, height: 720 });
    // Record what the frame tells its host, before the deck loads.
    await page.addInitScript(() => {
      window.heard = [];
      addEventListener('message', (e) => { if (e.data?.hmmviz === 1) window.heard.push(e.data); });
    });
    await page.goto(`${host.url}deck/example.html`);
    await expect(page.locator('.reveal .slides section').first()).toHaveClass(/present/);
    const last = () => page.evaluate(() => heard.filter((m) => m.type === 'step-changed').at(-1) ?? null);

    // To the hmmviz slide: its frame loads and says ready.
    await page.keyboard.press('ArrowRight');
    const frame = page.frameLocator('iframe[data-hmmviz]');
    await expect(frame.locator('.lane')).toHaveCount(2);
    await expect.poll(() => page.evaluate(() => heard.some((m) => m.type === 'ready'))).toBe(true);

    // Each → shows a fragment, and the frame reaches that fragment's milestone.
    let before = 0;
    for (const milestone of ['faulted_in', 'collected', 'all_on_device']) {
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await last())?.milestone, { message: milestone }).toBe(milestone);
      const at = (await last()).step;
      expect(at).toBeGreaterThan(before);
      before = at;
    }
    // Every command the plugin sent was accepted. (reveal.js posts its own "slide:start" to frames, which the
    // frame answers with an error carrying no id: not the plugin's.)
    const replies = await page.evaluate(() => heard.filter((m) => String(m.id).startsWith('hmmviz-reveal-')));
    expect(replies.length).toBeGreaterThanOrEqual(3);
    expect(replies.filter((m) => m.type === 'error')).toEqual([]);

    // ← hides the last fragment: back to the previous milestone; hiding them all goes back to step 0.
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await last())?.milestone).toBe('collected');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(async () => (await last())?.step).toBe(0);
  } finally {
    await host.close();
  }
});
