// What the scale spec and the perf report both watch on a page (issue 13's budgets): its long main-thread
// tasks and its wasm memory.

/** For `page.addInitScript` / `context.addInitScript`, before the page loads: every long task (PerformanceObserver
 *  'longtask', 50 ms and over) into `window.__longtasks`, and the app's wasm memory (trunk's
 *  `TrunkApplicationStarted` event carries the module) into `window.__hmmvizMemory`. */
export function watchBudgets() {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  addEventListener('TrunkApplicationStarted', (e) => {
    window.__hmmvizMemory = e.detail?.wasm?.memory;
  });
}

/** Long tasks that started after the first paint (the longest, and how many), and the wasm memory now. */
export function budgets(page) {
  return page.evaluate(() => {
    const paint = performance.getEntriesByName('first-paint')[0]?.startTime ?? 0;
    const after = window.__longtasks.filter((t) => t.start >= paint);
    return {
      longest_task_ms: Math.max(0, ...after.map((t) => t.ms)),
      long_tasks: after.length,
      wasm_memory_bytes: window.__hmmvizMemory?.buffer.byteLength ?? null,
    };
  });
}
