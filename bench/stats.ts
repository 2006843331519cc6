import { GCProfiler } from 'node:v8';

/** Latency percentiles over samples in nanoseconds, reported in microseconds. */
export function percentiles(samplesNs: BigInt64Array | bigint[], ps: readonly number[]): Record<string, number> {
  const sorted = Array.from(samplesNs, Number).sort((a, b) => a - b);
  const out: Record<string, number> = {};
  for (const p of ps) {
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    out[`p${p}`] = Math.round((sorted[Math.max(0, index)]! / 1_000) * 10) / 10;
  }
  return out;
}

export function heapMb(): number {
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
}

/** Reads `--name=value` from the command line. */
export function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}

/** What the garbage collector did while a run ran: its pauses and what survived into the old generation. */
export interface GcCost {
  /** Time in GC (all threads' pauses, ms) and how many of each kind. */
  readonly ms: number;
  readonly scavenges: number;
  readonly markCompacts: number;
  /** Bytes scavenges moved to the old generation (old and large-object spaces, after minus before). */
  readonly promoted: number;
}

const OLD_SPACES = new Set(['old_space', 'large_object_space']);

/**
 * Runs `run` under V8's GC profiler. Promoted bytes are the deterministic figure (a run's CPU time
 * varies ±25% on these VMs; what it keeps alive does not): each byte promoted is copied twice and
 * later marked and swept, so retention is GC time even when the pause lands in another run.
 */
export async function measureGc<T>(run: () => Promise<T>): Promise<{ result: T; gc: GcCost }> {
  const profiler = new GCProfiler();
  profiler.start();
  const result = await run();
  const stats = profiler.stop()?.statistics ?? [];
  let ms = 0;
  let scavenges = 0;
  let markCompacts = 0;
  let promoted = 0;
  for (const gc of stats) {
    ms += gc.cost / 1_000;
    if (gc.gcType === 'Scavenge') {
      scavenges++;
      const old = (side: typeof gc.beforeGC): number => side.heapSpaceStatistics.reduce((sum, space) => sum + (OLD_SPACES.has(space.spaceName) ? space.spaceUsedSize : 0), 0);
      promoted += Math.max(0, old(gc.afterGC) - old(gc.beforeGC));
    } else if (gc.gcType === 'MarkSweepCompact') markCompacts++;
  }
  return { result, gc: { ms, scavenges, markCompacts, promoted } };
}
