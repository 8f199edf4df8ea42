// Phones and narrow windows (issue 12): from 360 px up, the page never scrolls sideways, page cells are at
// least 16 px wide (a window of 64 pages wraps onto rows), and each lane's counters sit below its cells.
import { test, expect } from './fixtures.mjs';

for (const width of [360, 390]) {
  for (const [name, query] of [
    ['compare, 8 pages', '?v=1&pages=PPPPSSSS&step=120'],
    ['compare, 512 pages', '?v=1&pages=P*512&step=300'],
    ['deep view', '?v=1&pages=PPPPSSSS&step=120&view=deep'],
  ]) {
    test(`${width} px, ${name}: no sideways scroll, cells >= 16 px, counters below`, async ({ page }) => {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`./${query}`);
      await expect(page.locator('#step-label')).toBeVisible();
      await expect(page.locator('#main')).toBeVisible();
      const m = await page.evaluate(() => {
        const cells = [...document.querySelectorAll('.lane .pte')].map((c) => c.getBoundingClientRect().width);
        const lanes = [...document.querySelectorAll('.lane')].map((lane) => ({
          cellsBottom: lane.querySelector('.pte-row').getBoundingClientRect().bottom,
          countersTop: lane.querySelector('.counters').getBoundingClientRect().top,
        }));
        return {
          scrollWidth: document.scrollingElement.scrollWidth,
          innerWidth,
          narrowest: cells.length ? Math.min(...cells) : null,
          lanes,
        };
      });
      expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
      if (m.narrowest !== null) expect(m.narrowest).toBeGreaterThanOrEqual(16);
      for (const lane of m.lanes) expect(lane.countersTop).toBeGreaterThanOrEqual(lane.cellsBottom - 1);
    });
  }
}
