import { type Decimal, ZERO } from '../core/decimal.js';
import type { Position } from '../positions/position.js';

/** One line of the book. */
export interface BookLine {
  readonly key: string;
  readonly positions: number;
  readonly exposure: string;
  readonly realizedPnl: string;
  readonly unrealizedPnl: string;
}

/** The desk's book, aggregated four ways (desk currency). */
export interface DeskBook {
  readonly exposure: string;
  readonly dailyPnl: string;
  readonly positions: number;
  readonly byAccount: readonly (BookLine & { readonly broker: string; readonly dailyPnl: string; readonly equity?: string })[];
  readonly byBroker: readonly BookLine[];
  readonly byStrategy: readonly BookLine[];
  readonly bySymbol: readonly BookLine[];
}

/** One account as the book needs it, amounts already in the desk's currency. */
export interface BookAccount {
  readonly id: string;
  readonly broker: string;
  readonly positions: readonly Position[];
  /** Σ exposure of the account (positions, and working entries if known). */
  readonly exposure: Decimal;
  readonly dailyPnl: Decimal;
  readonly realizedTotal: Decimal;
  readonly equity?: Decimal | undefined;
  /** Converts an amount in the account's currency into the desk's (identity when they agree). */
  readonly convert: (amount: Decimal) => Decimal;
}

/**
 * The book of several accounts: totals, and lines by account, broker, strategy and symbol. A pure function.
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export function aggregateBook(accounts: readonly BookAccount[]): DeskBook {
  const lines = { broker: new Map<string, Line>(), strategy: new Map<string, Line>(), symbol: new Map<string, Line>() };
  const byAccount: DeskBook['byAccount'][number][] = [];
  let exposure = ZERO;
  let daily = ZERO;
  let positions = 0;
  for (const a of accounts) {
    const open = a.positions.filter((p) => p.quantity.greaterThan(0));
    let unrealizedOfAccount = ZERO;
    for (const p of open) {
      const value = a.convert(p.quantity.times(p.currentPrice ?? p.averageEntryPrice));
      const realized = a.convert(p.realizedPnl);
      const unrealized = a.convert(p.unrealizedPnl);
      unrealizedOfAccount = unrealizedOfAccount.plus(unrealized);
      for (const [map, key] of [[lines.broker, a.broker], [lines.strategy, p.strategyId ?? '(none)'], [lines.symbol, p.symbol]] as const) add(lineOf(map, key), value, realized, unrealized);
    }
    exposure = exposure.plus(a.exposure);
    daily = daily.plus(a.dailyPnl);
    positions += open.length;
    byAccount.push({
      key: a.id,
      broker: a.broker,
      positions: open.length,
      exposure: a.exposure.toFixed(),
      realizedPnl: a.realizedTotal.toFixed(),
      unrealizedPnl: unrealizedOfAccount.toFixed(),
      dailyPnl: a.dailyPnl.toFixed(),
      ...(a.equity ? { equity: a.equity.toFixed() } : {}),
    });
  }
  const out = (map: Map<string, Line>): BookLine[] =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, l]) => ({ key, positions: l.positions, exposure: l.exposure.toFixed(), realizedPnl: l.realized.toFixed(), unrealizedPnl: l.unrealized.toFixed() }));
  return { exposure: exposure.toFixed(), dailyPnl: daily.toFixed(), positions, byAccount, byBroker: out(lines.broker), byStrategy: out(lines.strategy), bySymbol: out(lines.symbol) };
}

interface Line {
  positions: number;
  exposure: Decimal;
  realized: Decimal;
  unrealized: Decimal;
}

function lineOf(map: Map<string, Line>, key: string): Line {
  let line = map.get(key);
  if (!line) map.set(key, (line = { positions: 0, exposure: ZERO, realized: ZERO, unrealized: ZERO }));
  return line;
}

function add(line: Line, exposure: Decimal, realized: Decimal, unrealized: Decimal): void {
  line.positions++;
  line.exposure = line.exposure.plus(exposure);
  line.realized = line.realized.plus(realized);
  line.unrealized = line.unrealized.plus(unrealized);
}
