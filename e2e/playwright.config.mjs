// End-to-end tests of the built app in the system Chromium. Run them with `cargo xtask test`, which builds the
// site, serves it on 127.0.0.1 under a sub-path and sets HMMVIZ_URL. By hand, against `cargo xtask serve`:
//   HMMVIZ_URL=http://127.0.0.1:8080/ npx playwright test --config e2e/playwright.config.mjs
import { defineConfig } from '@playwright/test';

const baseURL = process.env.HMMVIZ_URL;
if (!baseURL) {
  throw new Error('HMMVIZ_URL is not set: run `cargo xtask test`, or see the top of e2e/playwright.config.mjs');
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  outputDir: '../target/xtask/e2e-results',
  forbidOnly: true,
  retries: 0,
  // One browser at a time: the machines these run on have two cores shared with cargo.
  workers: 1,
  timeout: 30_000,
  // `list` for people; `count-reporter` prints the one line `cargo xtask test` counts.
  reporter: [['list'], ['./count-reporter.mjs']],
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      // Debian's Chromium: Playwright must never download a browser of its own (there is no network for it).
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      // CI runs as root, where Chromium's sandbox cannot start.
      args: ['--no-sandbox'],
    },
  },
});
