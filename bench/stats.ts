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
