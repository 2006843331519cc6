import { type PreTradeCheckCode, type PreTradeContext, resolveEngineConfig, runPreTradeChecks } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { d } from '../helpers.js';

/** A context every check passes: 100k equity, a 5k entry, nothing open. */
function passing(overrides: Partial<PreTradeContext> = {}): PreTradeContext {
  return {
    config: resolveEngineConfig(),
    symbol: 'AAPL',
    purpose: 'entry',
    opensNewPosition: true,
    notional: d(5_000),
    equity: d(100_000),
    buyingPower: d(50_000),
    exposure: d(0),
    positionNotional: d(0),
    openPositions: 0,
    dailyPnl: d(0),
    startOfDayEquity: d(100_000),
    marketOpen: true,
    asset: { symbol: 'AAPL', assetClass: 'equity', tradable: true, fractionable: true, shortable: true, quantityIncrement: d(1) },
    hasWorkingOrder: false,
    hasPosition: false,
    scalingIn: false,
    ...overrides,
  };
}

const codes = (c: PreTradeContext): string[] => runPreTradeChecks(c).map((r) => r.code);
const yen = { symbol: 'USD_JPY', assetClass: 'forex', tradable: true, fractionable: false, shortable: true, quantityIncrement: d(1) } as const;

describe('pre-trade checks', () => {
  it('all pass on a sound entry', () => {
    expect(runPreTradeChecks(passing())).toEqual([]);
  });

  const failing: [PreTradeCheckCode, Partial<PreTradeContext>, Partial<PreTradeContext>][] = [
    ['buying_power', { notional: d(5_000), buyingPower: d(4_999.99) }, { buyingPower: d(5_000) }],
    ['max_position_size', { notional: d(10_000.01) }, { notional: d(10_000), buyingPower: d(20_000) }],
    ['max_positions', { openPositions: 5 }, { openPositions: 4 }],
    ['max_exposure', { exposure: d(45_000.01) }, { exposure: d(45_000) }],
    ['daily_loss_limit', { dailyPnl: d(-2_000) }, { dailyPnl: d(-1_999.99) }],
    ['market_open', { marketOpen: false }, { marketOpen: true }],
    ['symbol_tradable', { asset: { symbol: 'AAPL', assetClass: 'equity', tradable: false, fractionable: false, shortable: false, quantityIncrement: d(1) } }, {}],
    ['account_currency', { symbol: 'USD_JPY', asset: { ...yen, quoteCurrency: 'JPY' }, accountCurrency: 'USD' }, { symbol: 'USD_JPY', asset: { ...yen, quoteCurrency: 'JPY' }, accountCurrency: 'JPY' }],
    ['no_pending_order', { hasWorkingOrder: true }, { hasWorkingOrder: false }],
    ['no_duplicate_position', { hasPosition: true }, { hasPosition: true, scalingIn: true, opensNewPosition: false }],
  ];

  for (const [code, fail, pass] of failing) {
    it(`${code}: fails at the limit's far side, passes at its near side, and can be turned off`, () => {
      const failures = runPreTradeChecks(passing(fail));
      expect(failures.map((f) => f.code)).toEqual([code]);
      expect(failures[0]?.message.length).toBeGreaterThan(10);
      expect(codes(passing(pass))).toEqual([]);
      expect(codes(passing({ ...fail, config: resolveEngineConfig({ checks: { [code]: false } }) }))).toEqual([]);
    });
  }

  it('an unknown symbol fails symbol_tradable', () => {
    expect(codes(passing({ asset: undefined }))).toEqual(['symbol_tradable']);
  });

  it('account_currency: an instrument priced in another currency than the account is refused for entries (its notional, limits and P&L would count JPY as USD); an exit of it passes; an unsaid currency, or no account snapshot yet, passes', () => {
    const inJpy = { symbol: 'USD_JPY', asset: { ...yen, quoteCurrency: 'JPY' }, accountCurrency: 'USD' };
    expect(runPreTradeChecks(passing(inJpy))[0]?.message).toBe('USD_JPY is priced in JPY and the account is in USD: sizing, limits and P&L would count JPY as USD (turn the account_currency check off to trade it so)');
    expect(codes(passing({ ...inJpy, purpose: 'exit', opensNewPosition: false, hasPosition: true }))).toEqual([]);
    expect(codes(passing({ ...inJpy, asset: yen }))).toEqual([]);
    expect(codes(passing({ ...inJpy, accountCurrency: undefined }))).toEqual([]);
    expect(codes(passing({ symbol: 'EUR_USD', asset: { ...yen, symbol: 'EUR_USD', quoteCurrency: 'USD' }, accountCurrency: 'USD' }))).toEqual([]);
  });

  it('reports every failure, not just the first', () => {
    expect(codes(passing({ marketOpen: false, hasWorkingOrder: true, openPositions: 9, buyingPower: d(0) }))).toEqual(['market_open', 'no_pending_order', 'max_positions', 'buying_power']);
  });

  it('exits are never blocked by exposure, size, position count or the loss limit', () => {
    const exit = passing({ purpose: 'exit', opensNewPosition: false, hasPosition: true, buyingPower: d(0), exposure: d(1e9), openPositions: 99, dailyPnl: d(-1e6), notional: d(1e6) });
    expect(codes(exit)).toEqual([]);
    expect(codes({ ...exit, marketOpen: false })).toEqual(['market_open']);
  });
});
