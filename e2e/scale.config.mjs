// The 1 GiB budget test (e2e/scale.budget.mjs), kept apart from `cargo xtask test`'s suite until it passes:
// it checks the issue 13 targets (no main-thread task over 50 ms after the first paint, wasm memory ≤ 256 MiB,
// p95 frame ≤ 16.7 ms at the fastest speed) as written, and prints what it measured. Run it against a built
// site (`cargo xtask serve`, or any static server over a trunk build):
//   HMMVIZ_URL=http://127.0.0.1:8080/ npx playwright test --config e2e/scale.config.mjs
import base from './playwright.config.mjs';

export default { ...base, testMatch: 'scale.budget.mjs', timeout: 600_000 };
