/**
 * `npm run bench:allocations` — where the engine bench allocates: runs bench/engine.bench.ts under
 * V8's sampling heap profiler (objects the GC already collected included) and prints the
 * functions that allocated the most, per signal. Allocation drives GC time, the largest single
 * cost on the signal path; this is how it was found and cut (docs/benchmarks.md).
 *
 *   npm run bench:allocations -- --signals=20000
 *   npm run bench:allocations -- --target=batch --batch-runs=40   (bench/batch.bench.ts: 1 000 signals a run)
 *   npm run bench:allocations -- --target=batch --callers=subtractDecimals,applyOrderEvent
 *     (who calls each named function, by the bytes it and what it calls allocated for them)
 */
import { Session } from 'node:inspector/promises';
import { arg } from './stats.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
// Node 20's typings do not list the two `include…` flags yet; V8 honours them.
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
const batch = process.argv.includes('--target=batch');
await (batch ? import('./batch.bench.js') : import('./engine.bench.js'));
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };

const bySite = new Map<string, number>();
/** decimal.js's allocations, by the tradewire function that called into decimal.js. */
const decimalsBy = new Map<string, number>();
/** V8's builtins (a Map's `set` or `delete` growing or shrinking its table, an array's `push`…), by their caller. */
const builtinsBy = new Map<string, number>();
let total = 0;
/** A profile node's function, as the tables name it: `name dir/file:line`. */
const siteOf = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string => `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
const walk = (node: ProfileNode, caller: string): void => {
  const { functionName, url } = node.callFrame;
  const site = siteOf(node);
  const inDecimal = url.includes('decimal.js');
  total += node.selfSize;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  if (inDecimal) decimalsBy.set(caller, (decimalsBy.get(caller) ?? 0) + node.selfSize);
  if (url === '' && node.selfSize > 0) {
    const key = `${functionName || '(anonymous)'} ← ${caller}`;
    builtinsBy.set(key, (builtinsBy.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children) walk(child, inDecimal ? caller : site);
};
walk(profile.head, '(root)');

// The batch bench: 500 entries and 500 exits per run, warm-up runs included.
const signals = batch ? (arg('batch-runs', 15) + arg('batch-warm-up', 5)) * 2 * arg('batch-size', 500) : arg('signals', 100_000) + Math.min(10_000, arg('signals', 100_000));
console.log(`\nallocated ≈ ${(total / 1e6).toFixed(0)} MB in all, ≈ ${(total / signals / 1024).toFixed(1)} KB per signal (warm-up included, startup too)`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / signals).toFixed(0).padStart(6)} B/signal  ${site}`);
}
const decimalTotal = [...decimalsBy.values()].reduce((a, b) => a + b, 0);
console.log(`\ndecimal.js: ${(decimalTotal / signals).toFixed(0)} B/signal, by the caller that asked for it:`);
for (const [site, bytes] of [...decimalsBy].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${((100 * bytes) / decimalTotal).toFixed(1).padStart(5)}%  ${(bytes / signals).toFixed(0).padStart(6)} B/signal  ${site}`);
}
console.log('\nV8 builtins, by the function that called them:');
for (const [site, bytes] of [...builtinsBy].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / signals).toFixed(0).padStart(6)} B/signal  ${site}`);
}

// --callers=a,b: a site's bytes (its own and its callees') split by the function that called it —
// where a hot helper's allocations come from, which the per-site table cannot say.
const callersArg = process.argv.find((a) => a.startsWith('--callers='));
if (callersArg) {
  const subtreeBytes = (node: ProfileNode): number => node.children.reduce((sum, child) => sum + subtreeBytes(child), node.selfSize);
  for (const wanted of callersArg.slice('--callers='.length).split(',').filter(Boolean)) {
    const byCaller = new Map<string, number>();
    const find = (node: ProfileNode, caller: string): void => {
      // The outermost call of the site counts (its recursive calls are inside its bytes already).
      if (node.callFrame.functionName === wanted) byCaller.set(caller, (byCaller.get(caller) ?? 0) + subtreeBytes(node));
      else for (const child of node.children) find(child, siteOf(node));
    };
    find(profile.head, '(root)');
    console.log(`\n${wanted}, by its caller (its bytes and its callees'):`);
    for (const [caller, bytes] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`${(bytes / signals).toFixed(0).padStart(6)} B/signal  ${caller}`);
    }
  }
}
