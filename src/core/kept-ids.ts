import type { Clock } from './clock.js';

/**
 * Ids kept for a while, with when each was kept: oldest first, at most `max` of them (the oldest
 * dropped first), each forgotten `keptMs` after it was kept. The lifecycle's lists of orders to look
 * up again (in doubt, to confirm after a stream gap) are this with their own rules on top.
 */
export class KeptIds {
  private readonly since = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly keptMs: number,
    private readonly max: number,
  ) {}

  has(id: string): boolean {
    return this.since.has(id);
  }

  /** When `id` was kept (undefined when it is not). */
  keptAt(id: string): number | undefined {
    return this.since.get(id);
  }

  /** Keeps `id` from `at` (again, if it was kept: its time moves, its place does not). */
  add(id: string, at = this.clock.now()): void {
    if (!this.since.has(id) && this.since.size >= this.max) this.since.delete(this.since.keys().next().value!);
    this.since.set(id, at);
  }

  /** True when it was kept. */
  delete(id: string): boolean {
    return this.since.size > 0 && this.since.delete(id);
  }

  /** The ids kept, oldest first; those past `keptMs` (told to `expired`), or that `keep` turns down, are forgotten. */
  ids(keep?: (id: string) => boolean, expired?: (id: string) => void): string[] {
    const oldest = this.clock.now() - this.keptMs;
    const out: string[] = [];
    for (const [id, at] of this.since) {
      if (at < oldest) {
        this.since.delete(id);
        expired?.(id);
      } else if (keep && !keep(id)) this.since.delete(id);
      else out.push(id);
    }
    return out;
  }
}
