import { Decimal } from '../core/decimal.js';
import { type Position, type PositionFill, shapePosition } from './position.js';

/**
 * What the position manager's state adds up to at one moment — the open positions and the P&L
 * counters — so a journal checkpoint can stand for every fill before it: a restart rebuilds
 * positions from the last checkpoint and the fills after it, not from all of history.
 */
export interface PositionCheckpoint {
  readonly at: number;
  readonly positions: readonly Position[];
  readonly realizedToday: Decimal;
  readonly realizedTodayByStrategy: readonly (readonly [string, Decimal])[];
  readonly realizedTotal: Decimal;
  readonly unrealizedAtDayStart: Decimal;
  readonly startOfDayEquity?: Decimal;
}

/** The journal topic of a position checkpoint. */
export const POSITIONS_CHECKPOINT_TOPIC = 'positions.checkpoint';

const POSITION_DECIMALS = ['quantity', 'averageEntryPrice', 'currentPrice', 'unrealizedPnl', 'realizedPnl', 'commission', 'openEntryCommission', 'stopPrice', 'targetPrice'] as const;
const FILL_DECIMALS = ['quantity', 'price', 'commission'] as const;

/** Plain JSON (decimals as strings), for a journal note. */
export function positionCheckpointToJSON(checkpoint: PositionCheckpoint): Record<string, unknown> {
  return {
    at: checkpoint.at,
    positions: checkpoint.positions.map((p) => ({ ...p, ...decimalsToStrings(p, POSITION_DECIMALS), fills: p.fills.map((f) => ({ ...f, ...decimalsToStrings(f, FILL_DECIMALS) })) })),
    realizedToday: checkpoint.realizedToday.toString(),
    realizedTodayByStrategy: checkpoint.realizedTodayByStrategy.map(([id, amount]) => [id, amount.toString()]),
    realizedTotal: checkpoint.realizedTotal.toString(),
    unrealizedAtDayStart: checkpoint.unrealizedAtDayStart.toString(),
    ...(checkpoint.startOfDayEquity ? { startOfDayEquity: checkpoint.startOfDayEquity.toString() } : {}),
  };
}

/** The reverse of {@link positionCheckpointToJSON}; also accepts the object as it was appended (decimals still Decimals). */
export function positionCheckpointFromJSON(json: Record<string, unknown>): PositionCheckpoint {
  const d = (value: unknown): Decimal => new Decimal(value as Decimal.Value);
  const positions = (json.positions as Record<string, unknown>[]).map((p) => {
    const fills = (p.fills as Record<string, unknown>[]).map((f) => ({ ...f, ...decimalsFrom(f, FILL_DECIMALS) }) as unknown as PositionFill);
    return shapePosition({ ...(p as unknown as Position), ...decimalsFrom(p, POSITION_DECIMALS), fills } as Position);
  });
  return {
    at: Number(json.at),
    positions,
    realizedToday: d(json.realizedToday),
    realizedTodayByStrategy: (json.realizedTodayByStrategy as [string, unknown][]).map(([id, amount]) => [id, d(amount)] as const),
    realizedTotal: d(json.realizedTotal),
    unrealizedAtDayStart: d(json.unrealizedAtDayStart),
    ...(json.startOfDayEquity === undefined ? {} : { startOfDayEquity: d(json.startOfDayEquity) }),
  };
}

function decimalsToStrings(source: object, keys: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    out[key] = value === undefined || value === null ? undefined : String(value);
  }
  return out;
}

function decimalsFrom(source: Record<string, unknown>, keys: readonly string[]): Record<string, Decimal | undefined> {
  const out: Record<string, Decimal | undefined> = {};
  for (const key of keys) {
    const value = source[key];
    out[key] = value === undefined || value === null ? undefined : new Decimal(value as Decimal.Value);
  }
  return out;
}
