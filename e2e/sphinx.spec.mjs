// Sphinx (issue 12): the example project (integrations/sphinx/example) is built by a real `sphinx-build` (the
// project venv's, installed by `cargo xtask setup`), served, and loaded: each `.. hmmviz::` directive is a
// frame showing its scenario, step and lanes, with no console error. A directive with bad options fails the
// build with a message naming them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures.mjs';
import { startHost } from './hosts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sphinxBuild = process.env.SPHINX_BUILD || path.join(root, '.venv/bin/sphinx-build');

test('sphinx-build makes pages whose hmmviz frames show what the directives say', async ({ page }) => {
  test.setTimeout(120_000);
  const out = mkdtempSync(path.join(os.tmpdir(), 'hmmviz-sphinx-'));
  execFileSync(sphinxBuild, ['-q', '-W', '-b', 'html', path.join(root, 'integrations/sphinx/example'), out,
    '-D', 'hmmviz_url=/hmmviz/'], { stdio: 'inherit' });
  const host = await startHost({ '/docs/': out });
  try {
    await page.setViewportSize({ width: 1280, height: 2400 });
    await page.goto(`${host.url}docs/index.html`);
    await expect(page.locator('iframe.hmmviz')).toHaveCount(3);
    const first = page.frameLocator('iframe.hmmviz >> nth=0');
    await expect(first.locator('.lane')).toHaveCount(2);
    await expect(first.locator('#lane-legacy_a')).toBeVisible();
    await expect(first.locator('#lane-unified')).toBeVisible();
    await expect(first.locator('#step-label')).toHaveText(/^step 40 \//);
    const second = page.frameLocator('iframe.hmmviz >> nth=1');
    await expect(second.locator('.lane')).toHaveCount(1);
    await expect(second.locator('#lane-unified .pte')).toHaveCount(4);
    await expect(second.locator('#btn-play')).toHaveCount(0);
    // A lesson at a beat (the URL's beats count from 1).
    const third = page.frameLocator('iframe.hmmviz >> nth=2');
    await expect(third.locator('.lesson-player')).toHaveAttribute('data-beat', '2', { timeout: 60_000 });
  } finally {
    await host.close();
  }
});

test('a directive with bad options fails the build and says which', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'hmmviz-sphinx-bad-'));
  writeFileSync(path.join(project, 'conf.py'),
    `import sys\nsys.path.insert(0, ${JSON.stringify(path.join(root, 'integrations/sphinx'))})\nextensions = ["hmmviz_sphinx"]\n`);
  writeFileSync(path.join(project, 'index.rst'), 'Bad\n===\n\n.. hmmviz::\n   :pages: PP\n   :lanes: A,Q\n\n.. hmmviz::\n   :step: 3\n\n.. hmmviz::\n   :pages: PP\n   :beat: 2\n');
  mkdirSync(path.join(project, '_build'), { recursive: true });
  const run = spawnSync(sphinxBuild, ['-q', '-W', '-b', 'html', project, path.join(project, '_build')], { encoding: 'utf8' });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain('lanes are A, B and U');
  expect(run.stderr).toContain('give exactly one of :pages:');
  expect(run.stderr).toContain(':beat: goes with :lesson:');
});
