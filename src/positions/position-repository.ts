import { dropOldest, slackOf } from '../core/window-slack.js';
import type { Position } from './position.js';

export interface PositionHistoryQuery {
  readonly symbol?: string;
  readonly strategyId?: string;
  /** Closed at or after / at or before, epoch ms. */
  readonly from?: number;
  readonly to?: number;
  readonly limit?: number;
}

/** Where closed positions go. Implement it over your database; the default keeps them in memory. */
export interface PositionRepository {
  save(position: Position): void;
  query(filter?: PositionHistoryQuery): Position[];
}

/**
 * How many closed positions the engine keeps in memory when no repository is given: a bot that runs
 * for months would otherwise hold every round trip it ever made (≈ 1 KB each). The durable journals
 * keep them all (`position.closed` notes); pass a repository to keep more, or to store them elsewhere.
 *
 * @internal
 */
export const CLOSED_POSITIONS_KEPT = 10_000;

/** Closed positions in memory; `capacity` keeps only the newest (unbounded by default; the engine's default repository keeps the newest 10 000). */
export class InMemoryPositionRepository implements PositionRepository {
  private readonly closed: Position[] = [];

  constructor(private readonly capacity = Number.POSITIVE_INFINITY) {}

  save(position: Position): void {
    this.closed.push(position);
    if (this.closed.length > this.capacity + slackOf(this.capacity)) dropOldest(this.closed, this.closed.length - this.capacity);
  }

  query(filter: PositionHistoryQuery = {}): Position[] {
    const out: Position[] = [];
    const from = Math.max(0, this.closed.length - this.capacity);
    for (let i = from; i < this.closed.length; i++) {
      const p = this.closed[i]!;
      if (filter.symbol !== undefined && p.symbol !== filter.symbol) continue;
      if (filter.strategyId !== undefined && p.strategyId !== filter.strategyId) continue;
      if (filter.from !== undefined && (p.closedAt ?? 0) < filter.from) continue;
      if (filter.to !== undefined && (p.closedAt ?? 0) > filter.to) continue;
      out.push(p);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }
}
