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

export class InMemoryPositionRepository implements PositionRepository {
  private readonly closed: Position[] = [];

  save(position: Position): void {
    this.closed.push(position);
  }

  query(filter: PositionHistoryQuery = {}): Position[] {
    const out: Position[] = [];
    for (const p of this.closed) {
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
