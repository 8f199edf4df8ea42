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

// The intervals between animation frames while the app plays, for `ms` milliseconds of the page's clock.
// Playback stops at a lane's last step, and a short lane at the fastest speed gets there in a few frames, so
// whenever it has stopped this presses play again (from the last step, play starts over from the first);
// only intervals between two frames that both saw it playing are kept, so idle frames do not count.
export function playingFrameIntervals(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((done) => {
        const play = () => document.querySelector('#btn-play');
        const intervals = [];
        const start = performance.now();
        let last = null;
        const tick = (t) => {
          const playing = play().getAttribute('aria-pressed') === 'true';
          if (playing && last !== null) intervals.push(t - last);
          last = playing ? t : null;
          if (t - start >= ms) {
            if (playing) play().click();
            done(intervals);
            return;
          }
          if (!playing) play().click();
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}
