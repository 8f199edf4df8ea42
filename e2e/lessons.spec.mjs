// Lessons in the browser (issue 11, part 1). The browser's verdict for every claim of every lesson in lessons/
// must equal `hmmviz check`'s (here `hmmviz run --json`, the same report): the spec runs the CLI on each file,
// opens the lesson's link, and compares claim by claim. Then a prediction answered wrongly (the hint) and
// rightly (the reveal), a reload that lands on the same beat, and a pasted lesson with an error.
import { test, expect } from './fixtures.mjs';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every lesson file, as `hmmviz check lessons` collects them (README.md skipped), relative to the root. */
function lessonFiles() {
  const files = [];
  for (const dir of ['lessons', 'lessons/selftests']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      if (name.endsWith('.md') && name !== 'README.md') files.push(`${dir}/${name}`);
    }
  }
  return files;
}

let hmmviz;
/** The CLI, built once (`cargo xtask test` has built it already; cargo only checks). */
function cli() {
  if (hmmviz) return hmmviz;
  const build = spawnSync('cargo', ['build', '-q', '-p', 'hmmviz'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`cargo build -p hmmviz failed: ${build.stderr}`);
  const target = process.env.CARGO_TARGET_DIR || join(root, 'target');
  hmmviz = join(target, 'debug', 'hmmviz');
  return hmmviz;
}

/** `hmmviz run --json FILE`'s report. */
function cliReport(file) {
  const run = spawnSync(cli(), ['run', '--json', file], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`hmmviz run ${file}: status ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

test('the index lists every lesson file, with kind and kernel', async ({ page }) => {
  await page.goto('./?lessons');
  const files = lessonFiles();
  await expect(page.locator('.lesson-row')).toHaveCount(files.length);
  await expect(page.locator('#lesson-index .lesson-row').first()).toContainText('lesson');
  await expect(page.locator('#selftest-index .lesson-row').first()).toContainText('selftest');
  await expect(page.locator('.lesson-row[data-id="livelock-6-14"]')).toContainText('6.14');
  // A kernel no release has is marked as such, in the index and in the lesson's header.
  await expect(page.locator('.lesson-row[data-id="file-backed-rfc"]')).toContainText('file-rfc (RFC, not merged)');
  await expect(page.locator('.lesson-row[data-id="livelock-6-14"]')).not.toContainText('RFC');
  await page.goto('./?lesson=file-backed-rfc&beat=1');
  await expect(page.locator('.lesson-meta')).toContainText('kernel file-rfc (RFC, not merged)');
});

test.beforeAll(() => {
  test.setTimeout(600_000);
  cli();
});

for (const file of lessonFiles()) {
  test(`${file}: the browser's verdicts are hmmviz check's`, async ({ page }) => {
    test.setTimeout(180_000);
    const { report, passed } = cliReport(file);
    expect(report.id, `${file} parses for the CLI`).toBeTruthy();
    await page.goto(`./?lesson=${encodeURIComponent(report.id)}&beat=1`);
    const check = page.locator('#lesson-check');
    await expect(check).toBeAttached({ timeout: 170_000 });
    await expect(check).toHaveAttribute('data-passed', String(passed));
    const claims = await check.locator('li.claim').evaluateAll((items) =>
      items.map((li) => ({
        line: Number(li.dataset.line),
        col: Number(li.dataset.col),
        text: li.querySelector('code').textContent,
        holds: li.dataset.holds === 'true',
        passed: li.dataset.passed === 'true',
      })),
    );
    const expected = report.assertions.map((a) => ({
      line: a.line, col: a.col, text: a.text, holds: a.holds, passed: a.passed,
    }));
    expect(claims).toEqual(expected);
    expect(claims.length, `${file} has claims`).toBeGreaterThan(0);
  });
}

test('a prediction: a wrong answer shows its hint, the right one the reveal; a reload keeps the beat', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('./?lesson=livelock-6-14&beat=2');
  await expect(page.locator('#beat-title')).toHaveText('Three threads read one device page', { timeout: 100_000 });
  // The beat's results wait for the answer.
  await expect(page.locator('#beat-locked')).toBeVisible();
  await expect(page.locator('#beat-assertions')).toHaveCount(0);
  await page.locator('.choice[data-choice="yes, the page moves at once"]').click();
  await expect(page.locator('.prediction .hint').first()).toContainText('expected 2, found more');
  await expect(page.locator('#beat-locked')).toBeVisible();
  await page.locator('.choice[data-choice="no, folio_migrate_mapping fails with -EAGAIN"]').click();
  await expect(page.locator('.prediction .reveal').first()).toContainText('Right: no, folio_migrate_mapping fails with -EAGAIN');
  await expect(page.locator('.prediction .verify').first()).toContainText('eventually retry(func=folio_migrate_mapping) holds');
  await page.locator('.choice[data-choice="yes, they can retry forever"]').click();
  await expect(page.locator('#beat-assertions .claim')).toHaveCount(5, { timeout: 60_000 });
  await expect(page.locator('#beat-assertions .claim.fail')).toHaveCount(0);
  await expect(page.locator('#beat-outcome')).toContainText('ended: completed');
  await expect(page).toHaveURL(/[?&]lesson=livelock-6-14&beat=2/);
  await page.reload();
  await expect(page.locator('#beat-title')).toHaveText('Three threads read one device page', { timeout: 100_000 });
  await expect(page.locator('.lesson-player')).toHaveAttribute('data-beat', '2');
  // Progress is remembered on the index.
  await page.goto('./?lessons');
  await expect(page.locator('.lesson-row[data-id="livelock-6-14"] .progress')).toContainText('beat 2 of 2');
});

test('beats move with the buttons and the address follows', async ({ page }) => {
  await page.goto('./?lesson=selftest-anon-read');
  await expect(page.locator('#beat-title')).toBeVisible({ timeout: 25_000 });
  await expect(page.locator('.lesson-player')).toHaveAttribute('data-beat', '1');
  await page.locator('#beat-next').click();
  await expect(page.locator('.lesson-player')).toHaveAttribute('data-beat', '2');
  await expect(page).toHaveURL(/[?&]lesson=selftest-anon-read&beat=2/);
  await page.locator('#beat-prev').click();
  await expect(page).toHaveURL(/[?&]beat=1/);
});

test('a bad lesson link or beat is said, not a crash', async ({ page }) => {
  await page.goto('./?lesson=no-such-lesson');
  await expect(page.locator('#lesson-notice')).toContainText('no-such-lesson');
  await expect(page.locator('.lesson-row').first()).toBeVisible();
  await page.goto('./?lesson=livelock-6-15-fix&beat=banana');
  await expect(page.locator('#lesson-notice')).toContainText('beat=banana');
  await expect(page.locator('.lesson-player')).toHaveAttribute('data-beat', '1', { timeout: 25_000 });
});

test('a pasted lesson gets the CLI diagnostics, then plays once fixed', async ({ page }) => {
  await page.goto('./?lessons');
  const good = [
    '+++', 'id = "pasted-demo"', 'schema = 1', 'title = "A pasted lesson"', 'kernel = "2026"', 'kind = "lesson"',
    '', '[scenario]', 'states = "PN"', '+++', '', '## Run legacy A', '', '```hmm', 'lane legacy_a', '```', '',
    '```assert', 'A.walks == 2', '```', '',
  ].join('\n');
  const bad = good.replace('lane legacy_a', 'lane legacy_q');
  await page.locator('#lesson-paste').fill(bad);
  await page.locator('#lesson-paste-run').click();
  // The same path:line:col form as `hmmviz check`.
  await expect(page.locator('#lesson-diagnostics')).toContainText('pasted.md:15:');
  await expect(page.locator('#lesson-diagnostics')).toContainText('legacy_q');
  await page.locator('#lesson-paste').fill(good);
  await page.locator('#lesson-paste-run').click();
  await expect(page.locator('#beat-title')).toHaveText('Run legacy A', { timeout: 25_000 });
  await expect(page.locator('#lesson-check')).toHaveAttribute('data-passed', /true|false/);
});

test('every beat is a history entry: Back and Forward bring back the beat the address names', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('./?lessons');
  await page.locator('.lesson-row[data-id="migrate-vma-anatomy"] .lesson-link').click();
  const player = page.locator('.lesson-player');
  await expect(player).toHaveAttribute('data-beat', '1', { timeout: 60_000 });
  await page.locator('#beat-next').click();
  await expect(player).toHaveAttribute('data-beat', '2');
  await page.locator('#beat-next').click();
  await expect(player).toHaveAttribute('data-beat', '3');
  await expect(page).toHaveURL(/[?&]lesson=migrate-vma-anatomy&beat=3/);
  await page.goBack();
  await expect(page).toHaveURL(/[?&]lesson=migrate-vma-anatomy&beat=2/);
  await expect(player).toHaveAttribute('data-beat', '2');
  await expect(page.locator('.beat-list li.current')).toHaveCount(1);
  await page.goBack();
  await expect(player).toHaveAttribute('data-beat', '1');
  await page.goForward();
  await expect(player).toHaveAttribute('data-beat', '2');
  // Back past the lesson's first beat: the index it was opened from.
  await page.goBack();
  await page.goBack();
  await expect(page).toHaveURL(/\?lessons$/);
  await expect(page.locator('.lesson-row').first()).toBeVisible();
  await page.goForward();
  await expect(player).toHaveAttribute('data-beat', '1', { timeout: 60_000 });

  // Copy link and copy embed code carry the lesson and the beat.
  await page.locator('#beat-next').click();
  await expect(player).toHaveAttribute('data-beat', '2');
  await page.locator('#copy-link').click();
  await expect(page.locator('#share-box')).toContainText('Copied the link');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/^http:\/\/[^?]+\?lesson=migrate-vma-anatomy&beat=2$/);
  await page.locator('#copy-embed').click();
  await expect(page.locator('#share-box')).toContainText('Copied the embed code');
  const code = await page.evaluate(() => navigator.clipboard.readText());
  expect(code).toMatch(/^<iframe src="http:\/\/[^"]+\?lesson=migrate-vma-anatomy&amp;beat=2&amp;embed=1" title="hmmviz"/);
  await page.setContent(`<!doctype html><link rel="icon" href="data:,"><div style="width:800px">${code}</div>`);
  const frame = page.frameLocator('iframe');
  await expect(frame.locator('.lesson-player')).toHaveAttribute('data-beat', '2', { timeout: 60_000 });
  await expect(frame.locator('#app')).toHaveClass(/embed/);
  await page.goto(link);
  await expect(player).toHaveAttribute('data-beat', '2', { timeout: 60_000 });
});

test('the lesson report downloads as one standalone HTML page naming every claim, its line and verdict', async ({ page }) => {
  test.setTimeout(120_000);
  const cli = cliReport('lessons/livelock-6.14.md').report;
  await page.goto('./?lesson=livelock-6-14&beat=1');
  await expect(page.locator('.lesson-player')).toBeVisible({ timeout: 100_000 });
  await page.locator('#lesson-check summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#lesson-report-download').click()]);
  expect(download.suggestedFilename()).toBe('livelock_6_14-report.html');
  const { readFileSync } = await import('node:fs');
  const html = readFileSync(await download.path(), 'utf8');
  // Parsed by the browser: every claim of the CLI's report is a row, with its line, column and verdict.
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'text/html');
    return {
      kernel: doc.getElementById('kernel')?.textContent,
      title: doc.getElementById('title')?.textContent,
      passed: doc.getElementById('status')?.dataset.passed,
      rows: [...doc.querySelectorAll('#claims tr.claim')].map((tr) => ({
        line: Number(tr.dataset.line), col: Number(tr.dataset.col), passed: tr.dataset.passed === 'true',
        text: tr.querySelector('code').textContent,
      })),
      fetches: doc.querySelectorAll('script, link, img, iframe, [src], [href]').length,
    };
  }, html);
  expect(parsed.kernel).toBe(cli.kernel);
  expect(cli.kernel).toBe('6.14');
  expect(parsed.title).toBe(cli.title);
  expect(parsed.passed).toBe(String(cli.assertions.every((a) => a.passed) && cli.diagnostics.length === 0));
  expect(parsed.rows).toEqual(cli.assertions.map((a) => ({ line: a.line, col: a.col, passed: a.passed, text: a.text })));
  expect(parsed.rows.length).toBeGreaterThan(3);
  expect(parsed.fetches).toBe(0);
});

test('a beat\'s actions play step by step: the steps they produced appear in order, the latest highlighted', async ({ page }) => {
  await page.goto('./?lesson=selftest-anon-read&beat=2');
  await expect(page.locator('#beat-title')).toBeVisible({ timeout: 25_000 });
  const player = page.locator('#beat-outcome .step-player').first();
  await expect(player).toBeVisible();
  const total = Number(await player.getAttribute('data-total'));
  expect(total).toBeGreaterThan(3);
  // Listed whole until asked.
  await expect(player).toHaveAttribute('data-shown', String(total));
  await player.locator('.steps-play').click();
  // It starts from the first step and moves on by itself: seen part-way, then at the end.
  await expect.poll(async () => Number(await player.getAttribute('data-shown'))).toBeGreaterThan(1);
  const partWay = Number(await player.getAttribute('data-shown'));
  await expect(page.locator('#beat-outcome .event-lines').first().locator('li.current')).toHaveCount(1);
  await expect(player).toHaveAttribute('data-shown', String(total), { timeout: total * 500 + 5_000 });
  expect(partWay).toBeLessThan(total);
  // By hand: back one, forward one, then all.
  await player.locator('.steps-back').click();
  await expect(player).toHaveAttribute('data-shown', String(total - 1));
  await expect(page.locator('#beat-outcome .event-lines').first().locator('li')).toHaveCount(total - 1);
  await player.locator('.steps-next').click();
  await expect(player).toHaveAttribute('data-shown', String(total));
  await player.locator('.steps-all').click();
  await expect(page.locator('#beat-outcome .event-lines').first().locator('li.current')).toHaveCount(0);
});
