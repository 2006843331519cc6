import { type DeskBook, type ExecutionEngine, journalStore, type ReportStore, type TradingDesk, type TradingState } from 'tradewire';
import type { AccountSeat } from './account-feed.js';
import type { BrokerHealthView } from './protocol.js';

/**
 * What the server watches and controls: one engine, or a desk of them. Both look the same from
 * here — accounts, a trading state, a kill switch — so every route and view is written once.
 */
export interface ServerTarget {
  readonly seats: readonly AccountSeat[];
  readonly desk: TradingDesk | undefined;
  tradingState(): { readonly state: TradingState; readonly reason?: string };
  /** The desk's health tracker's view of a broker, when there is one. */
  health(account: string): BrokerHealthView | undefined;
  book(): DeskBook | undefined;
  reportStore(): ReportStore;
  halt(reason: string, options: { readonly cancelOpen?: boolean; readonly flatten?: boolean }, account?: string): Promise<void>;
  reduceOnly(reason: string, account?: string): void;
  resume(account?: string): void;
}

export function engineTarget(engine: ExecutionEngine, account: string): ServerTarget {
  const seat: AccountSeat = { id: account, broker: engine.adapter.name, engine };
  return {
    seats: [seat],
    desk: undefined,
    tradingState: () => ({ state: engine.tradingState, ...(engine.tradingStateReason === undefined ? {} : { reason: engine.tradingStateReason }) }),
    health: () => undefined,
    book: () => undefined,
    reportStore: () => journalStore(engine.journal),
    halt: (reason, options) => engine.halt({ reason, ...options }),
    reduceOnly: (reason) => engine.reduceOnly(reason),
    resume: () => engine.resume(),
  };
}

export function deskTarget(desk: TradingDesk): ServerTarget {
  const seats = desk.accounts.map((id) => {
    const engine = desk.engine(id);
    return { id, broker: engine.adapter.name, engine };
  });
  const one = (account: string): ExecutionEngine => desk.engine(account);
  return {
    seats,
    desk,
    tradingState: () => ({ state: desk.tradingState, ...(desk.tradingState === 'ACTIVE' ? {} : { reason: desk.tradingStateReason }) }),
    health: (account) => {
      const report = desk.health().find((h) => h.account === account);
      if (!report) return undefined;
      return { broker: report.broker, account: report.account, state: report.state, reason: report.reason, streamConnected: report.streamConnected, latencyMs: report.latencyMs, errorRate: report.errorRate, ...(report.lastHeardAt === undefined ? {} : { lastHeardAt: report.lastHeardAt }) };
    },
    book: () => desk.book(),
    reportStore: () => desk.reportStore(),
    // One account's kill switch is that engine's; without an account it is the desk's, over all of them.
    halt: (reason, options, account) => (account ? one(account).halt({ reason, ...options }) : desk.halt(reason, options)),
    reduceOnly: (reason, account) => (account ? one(account).reduceOnly(reason) : desk.reduceOnly(reason)),
    resume: (account) => (account ? one(account).resume() : desk.resume()),
  };
}
