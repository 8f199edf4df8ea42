// The `test` every spec uses: Playwright's, with a page that fails the test if the app logs any console error
// or throws. A Rust panic in the app reaches the console through yew's panic hook, so this catches panics too.
import { test as base, expect } from '@playwright/test';

/** Every console error and uncaught exception `page` reports from now on, as one growing list of lines. */
export function collectProblems(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  return problems;
}

export const test = base.extend({
  page: async ({ page }, use) => {
    const problems = collectProblems(page);
    await use(page);
    expect(problems, 'the page logged errors').toEqual([]);
  },
});

export { expect };
