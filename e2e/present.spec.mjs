// Presenting from a stage (issue 12): the projector layout fits 1280×720 and 1024×768 with three lanes and no
// scrolling; a clicker's keys move the talk (PageDown/PageUp/Space/→/←: milestones) even after a control was
// clicked; B blanks; the speaker window and the audience window follow each other.
import { test, expect } from './fixtures.mjs';

const stepLabel = (page) => page.locator('#step-label');

async function stepOf(locator) {
  const match = /step (\d+) \/ (\d+)/.exec((await locator.textContent()) ?? '');
  if (!match) throw new Error('no step');
  return Number(match[1]);
}

for (const [width, height] of [[1280, 720], [1024, 768]]) {
  test(`present=1 at ${width}×${height}: three lanes and the narration, whole, no scrolling`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    await page.goto('./?v=1&pages=PPPPSSSS&step=120&present=1');
    await expect(page.locator('.lane')).toHaveCount(3);
    const fit = await page.evaluate(() => {
      const doc = document.scrollingElement;
      const boxes = [...document.querySelectorAll('.lane-head, .lane .pte-row, .lane .counters, #narration, .compact-transport')]
        .map((el) => el.getBoundingClientRect());
      return {
        scrolls: doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth,
        inside: boxes.every((b) => b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight && b.right <= innerWidth),
        count: boxes.length,
        // Projector type: the smallest text of a lane header, in CSS pixels.
        title: parseFloat(getComputedStyle(document.querySelector('.lane-title')).fontSize),
        line: parseFloat(getComputedStyle(document.querySelector('#narration-line')).fontSize),
      };
    });
    expect(fit.scrolls).toBe(false);
    expect(fit.inside).toBe(true);
    expect(fit.count).toBe(3 * 3 + 2);
    expect(fit.title).toBeGreaterThanOrEqual(18);
    expect(fit.line).toBeGreaterThanOrEqual(18);
  });
}

test('clicker keys move by milestone, ↓/↑ by step; Space does not play; B blanks; the page never scrolls', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('./?v=1&pages=PPPPSSSS&lane=legacy_a&present=1');
  await expect(page.locator('.lane')).toHaveCount(3);
  await page.keyboard.press('PageDown');
  await expect(page.locator('#narration-line')).toHaveText(/^milestone: /);
  const first = await stepOf(stepLabel(page));
  await page.keyboard.press('Space');
  await expect.poll(() => stepOf(stepLabel(page))).toBeGreaterThan(first);
  await expect(page.locator('#btn-play')).toHaveAttribute('aria-pressed', 'false');
  await page.keyboard.press('PageUp');
  await expect.poll(() => stepOf(stepLabel(page))).toBe(first);
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => stepOf(stepLabel(page))).toBe(first + 1);
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => stepOf(stepLabel(page))).toBe(first);
  // After the mouse used the scrubber, → is still the clicker's "next milestone", not the scrubber's step.
  await page.locator('#scrubber').focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => stepOf(stepLabel(page))).toBeGreaterThan(first + 1);
  await expect(page.locator('#narration-line')).toHaveText(/^milestone: /);
  expect(await page.evaluate(() => scrollY)).toBe(0);
  // Blank and back.
  await page.keyboard.press('b');
  await expect(page.locator('#blank')).toBeVisible();
  await page.keyboard.press('.');
  await expect(page.locator('#blank')).toHaveCount(0);
});

test('the speaker window (S) and the audience window follow each other', async ({ page, context }) => {
  await page.goto('./?v=1&pages=PPPPSSSS&lane=unified&present=1');
  await expect(page.locator('.lane')).toHaveCount(3);
  const [speaker] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('s')]);
  await expect(speaker.locator('#speaker-step')).toHaveText(/^step 0 \//);
  await expect(speaker.locator('#speaker-next-milestone')).toContainText('next milestone');
  // Audience → speaker.
  await page.bringToFront();
  await page.keyboard.press('PageDown');
  const at = await stepOf(stepLabel(page));
  expect(at).toBeGreaterThan(0);
  await expect(speaker.locator('#speaker-step')).toHaveText(new RegExp(`^step ${at} /`));
  await expect(speaker.locator('#speaker-line')).toHaveText(await page.locator('#narration-line').textContent());
  // Speaker → audience.
  await speaker.bringToFront();
  await speaker.keyboard.press('PageDown');
  await expect.poll(() => stepOf(speaker.locator('#speaker-step'))).toBeGreaterThan(at);
  const next = await stepOf(speaker.locator('#speaker-step'));
  await expect(stepLabel(page)).toHaveText(new RegExp(`^step ${next} /`));
  await speaker.close();
});

test('presenting a lesson: clicker keys move beat by beat; the speaker window shows the beat\'s prose and the next beat, in sync', async ({ page, context }) => {
  test.setTimeout(120_000);
  await page.goto('./?lesson=migrate-vma-anatomy&beat=1&present=1');
  const player = page.locator('.lesson-player');
  await expect(player).toHaveAttribute('data-beat', '1', { timeout: 60_000 });
  const [speaker] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('s')]);
  await expect(speaker.locator('#speaker-beat')).toHaveText(/^beat 1 \/ \d+$/, { timeout: 60_000 });
  const beats = Number((await speaker.locator('#speaker-beat').textContent()).split('/ ')[1]);
  expect(beats).toBeGreaterThanOrEqual(3);
  await expect(speaker.locator('#speaker-title')).toHaveText(await page.locator('#beat-title').textContent());
  // The notes are the beat's prose: its first sentence is on the audience page too.
  const firstLine = (await page.locator('#beat .prose p').first().textContent()).slice(0, 40);
  await expect(speaker.locator('#speaker-notes')).toContainText(firstLine);
  await expect(speaker.locator('#speaker-next-beat')).toContainText('beat 2:');

  // Audience → speaker: PageDown, Space and → are one beat each.
  await page.bringToFront();
  await page.keyboard.press('PageDown');
  await expect(player).toHaveAttribute('data-beat', '2');
  await expect(speaker.locator('#speaker-beat')).toHaveText(`beat 2 / ${beats}`);
  await expect(speaker.locator('#speaker-title')).toHaveText(await page.locator('#beat-title').textContent());
  await expect(speaker.locator('#speaker-next-beat')).toContainText('beat 3:');
  await page.keyboard.press(' ');
  await expect(player).toHaveAttribute('data-beat', '3');
  await expect(speaker.locator('#speaker-beat')).toHaveText(`beat 3 / ${beats}`);
  await page.keyboard.press('PageUp');
  await expect(player).toHaveAttribute('data-beat', '2');
  // The speaker window must have caught up before it is driven: a key pressed there while the audience's
  // last beats are still on their way would be overtaken by them (the CI run that failed saw exactly that).
  await expect(speaker.locator('#speaker-beat')).toHaveText(`beat 2 / ${beats}`);
  // Speaker → audience.
  await speaker.bringToFront();
  await speaker.keyboard.press('ArrowLeft');
  await expect(speaker.locator('#speaker-beat')).toHaveText(`beat 1 / ${beats}`);
  await expect(player).toHaveAttribute('data-beat', '1');
  // B blanks the audience screen, and again shows it.
  await page.bringToFront();
  await page.keyboard.press('b');
  await expect(page.locator('#blank')).toBeVisible();
  await page.keyboard.press('b');
  await expect(player).toHaveAttribute('data-beat', '1');
  await speaker.close();
});
