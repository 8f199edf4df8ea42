// Animation-frame timestamps in the page for `ms` milliseconds: how long each frame took while something plays.
// Shared by the scale spec and the perf report, which both time playback this way.
export function frameStamps(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((done) => {
        const stamps = [];
        const start = performance.now();
        const tick = (t) => {
          stamps.push(t);
          if (t - start < ms) requestAnimationFrame(tick);
          else done(stamps);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}
