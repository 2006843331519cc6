import { ACCOUNT_SNAPSHOT_TOPIC, aggregateBook, type BookAccount, Decimal, type DeskBook, type JournalRecord, lastNote, type Logger, positionsFromJournal, POSITION_CLOSED_TOPIC, TradingDay, ZERO } from 'tradewire';
import type { PgConnection } from './pg-types.js';
import { PostgresJournal } from './postgres-journal.js';

export interface SharedBookOptions extends PgConnection {
  /** The accounts to read (each written by the process that holds its lease). */
  readonly accounts: readonly string[];
  /** The last price of a symbol, to value positions (default: their average entry price). */
  readonly priceOf?: (symbol: string) => Decimal | undefined;
  /** The broker's name per account, for the book's lines (default: the account's id). */
  readonly brokerOf?: (account: string) => string;
  /** Now, for "today" (default the system clock) and the trading day's timezone (default New York). */
  readonly now?: number;
  readonly timeZone?: string;
  readonly logger?: Logger;
}

/**
 * The whole book of a desk spread over several processes, read from the shared PostgreSQL store:
 * each account's records since its last checkpoint (what its own process would restart from),
 * added up into positions without a broker, valued at `priceOf` (or cost), then aggregated by
 * account, broker, strategy and symbol like `TradingDesk.book()`. Read-only: it appends nothing and
 * takes no lease, so it runs beside the processes that trade. Today's P&L is what the journal shows
 * realized today (closed positions); unrealized P&L needs `priceOf`.
 */
export async function readDeskBook(options: SharedBookOptions): Promise<DeskBook> {
  const accounts: BookAccount[] = [];
  const day = new TradingDay(options.timeZone);
  const today = day.keyOf(options.now ?? Date.now());
  for (const account of options.accounts) {
    const journal = await PostgresJournal.open({ ...options, account, ...(options.logger ? { logger: options.logger } : {}) });
    try {
      const records = journal.query();
      const { positions, realizedTotal } = positionsFromJournal(records);
      const valued = positions.map((p) => {
        const price = options.priceOf?.(p.symbol);
        if (!price || p.quantity.isZero()) return p;
        const unrealized = (p.side === 'long' ? price.minus(p.averageEntryPrice) : p.averageEntryPrice.minus(price)).times(p.quantity);
        return { ...p, currentPrice: price, unrealizedPnl: unrealized };
      });
      const exposure = valued.reduce((sum, p) => sum.plus(p.quantity.times(p.currentPrice ?? p.averageEntryPrice)), ZERO);
      const snapshot = lastNote(records, ACCOUNT_SNAPSHOT_TOPIC)?.data as { equity?: string } | undefined;
      accounts.push({
        id: account,
        broker: options.brokerOf?.(account) ?? account,
        positions: valued,
        exposure,
        dailyPnl: realizedToday(records, day, today),
        realizedTotal: new Decimal(realizedTotal),
        equity: snapshot?.equity ? new Decimal(snapshot.equity) : undefined,
        convert: (amount) => amount,
      });
    } finally {
      await journal.end();
    }
  }
  return aggregateBook(accounts);
}

function realizedToday(records: readonly JournalRecord[], day: TradingDay, today: string): Decimal {
  let total = ZERO;
  for (const r of records) {
    if (r.kind !== 'note' || r.topic !== POSITION_CLOSED_TOPIC || day.keyOf(r.at) !== today) continue;
    total = total.plus((r.data as { realizedPnl: string }).realizedPnl);
  }
  return total;
}
