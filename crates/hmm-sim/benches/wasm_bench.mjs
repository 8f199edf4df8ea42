// Times hmm-sim's lanes compiled to wasm32 (see examples/wasm_bench.rs), in node: the same engine family
// as the browser. For the page count given (default 262,144 = 1 GiB) of the benchmarks' mixed scenario
// (benches/scenario/mod.rs), prints per lane seconds, events and events per second, then the module's linear
// memory at the end (wasm memory never shrinks, so that is the peak of the largest lane's run). Lines
// starting `BENCH ` are `key=value` pairs for `cargo xtask bench`.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

// WASM_BENCH names the module when the target directory is not ./target (cargo xtask bench sets it).
const path = process.env.WASM_BENCH ?? new URL('../../../target/wasm32-unknown-unknown/release/examples/wasm_bench.wasm', import.meta.url);
const { instance } = await WebAssembly.instantiate(await readFile(path), {});
const pages = Number(process.argv[2] ?? 262144);
const names = ['legacy_a', 'legacy_b', 'unified'];
// The first run in a fresh instance also pays for growing linear memory to its peak; time it separately.
{
  const t0 = performance.now();
  instance.exports.bench_lane(0, pages);
  console.log(`wasm warm-up (legacy_a, grows memory) ${((performance.now() - t0) / 1000).toFixed(3)} s`);
}
for (let lane = 0; lane < 3; lane++) {
  const t0 = performance.now();
  const events = Number(instance.exports.bench_lane(lane, pages));
  const secs = (performance.now() - t0) / 1000;
  if (events === 0) {
    console.error(`${names[lane]}: the run failed`);
    process.exit(1);
  }
  console.log(`BENCH source=wasm pages=${pages} lane=${names[lane]} secs=${secs.toFixed(3)} events=${events} events_per_s=${(events / secs).toFixed(0)}`);
}
console.log(`BENCH source=wasm pages=${pages} memory_bytes=${instance.exports.memory.buffer.byteLength}`);
