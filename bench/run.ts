/**
 * `npm run bench` runs every benchmark, one process each (after `npm run build`), passing its
 * arguments on; `npm run bench -- --compare` runs only the engine-vs-reference comparison
 * (compare.bench.ts), the hot path's headline figure. Figures go to docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const tsx = ['--import', 'tsx'];
const env = { ...process.env, TSX_TSCONFIG_PATH: 'bench/tsconfig.json' };
const ALL: readonly (readonly string[])[] = [
  ['--expose-gc', ...tsx, 'bench/compare.bench.ts'],
  [...tsx, 'bench/engine.bench.ts'],
  [...tsx, 'bench/journal.bench.ts'],
  ['--expose-gc', ...tsx, 'bench/heap.bench.ts'],
  [...tsx, 'bench/restart.bench.ts'],
  [...tsx, 'bench/history.bench.ts'],
  [...tsx, 'bench/report.bench.ts'],
  [...tsx, 'bench/retention.bench.ts'],
  [...tsx, 'bench/batch.bench.ts'],
  // The same batch with a larger young generation: what GC tuning buys a host (docs/benchmarks.md, Batches).
  ['--max-semi-space-size=64', ...tsx, 'bench/batch.bench.ts'],
  [...tsx, 'bench/book.bench.ts'],
  [...tsx, 'bench/desk.bench.ts'],
  ['--expose-gc', ...tsx, 'bench/backtest.bench.ts'],
  [...tsx, 'bench/dashboard.bench.ts'],
];
const chosen = args.includes('--compare') ? ALL.slice(0, 1) : ALL;
for (const command of chosen) {
  const { status } = spawnSync(process.execPath, [...command, ...args], { stdio: 'inherit', env });
  if (status !== 0) process.exit(status ?? 1);
}
