import { defaultSignalPolicy, type EngineConfig, type Position, parseSignal, type PolicyContext, resolveEngineConfig, type Signal, ValidationError } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { d } from '../helpers.js';

const signal = (overrides: Partial<Signal> = {}): Signal => ({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 80, time: 1, strategyId: 'trend', ...overrides });

describe('signals', () => {
  it('parses decimals and defaults', () => {
    const parsed = parseSignal(signal({ expectedPrice: '190.10', atr: 2.5 }));
    expect(parsed.expectedPrice?.toString()).toBe('190.1');
    expect(parsed.atr?.toString()).toBe('2.5');
    expect(parsed.exitFraction.toString()).toBe('1');
    expect(parsed.assetClass).toBe('equity');
  });

  it('lists every problem of an invalid signal in one typed error', () => {
    try {
      parseSignal({ id: '', symbol: '', side: 'hold', strength: 140, time: Number.NaN, strategyId: 'x', expectedPrice: Number.NaN, exitFraction: 2 } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field).sort()).toEqual(['exitFraction', 'expectedPrice', 'id', 'side', 'strength', 'symbol', 'time']);
    }
  });
});

describe('the default signal policy', () => {
  const position = (side: 'long' | 'short', pnl: number, state: Position['state'] = 'OPEN'): Position => ({
    id: 'p', accountId: 'a', symbol: 'AAPL', assetClass: 'equity', side, state, quantity: d(10), averageEntryPrice: d(100), createdAt: 0, updatedAt: 0,
    unrealizedPnl: d(pnl), realizedPnl: d(0), commission: d(0), openEntryCommission: d(0), fills: [], orderIds: [],
  });
  type Overrides = Omit<Partial<PolicyContext>, 'config'> & { config?: EngineConfig };
  const ctx = ({ config, ...rest }: Overrides = {}): PolicyContext => ({
    capabilities: new MockBroker({ clock: new ManualClock() }).capabilities,
    asset: undefined,
    position: undefined,
    ...rest,
    config: resolveEngineConfig(config),
  });
  const decide = (s: Partial<Signal>, c: Overrides = {}) => defaultSignalPolicy(parseSignal(signal(s)), ctx(c));

  it('ignores signals below the minimum strength; the threshold itself passes', () => {
    expect(decide({ strength: 69 })).toMatchObject({ action: 'none', reason: { code: 'signal_too_weak' } });
    expect(decide({ strength: 70 })).toMatchObject({ action: 'open', direction: 'long' });
  });

  it('BUY opens a long, SELL closes it (or a fraction of it)', () => {
    expect(decide({ side: 'sell' }, { position: position('long', 5) })).toMatchObject({ action: 'close' });
    const partial = decide({ side: 'sell', exitFraction: '0.5' }, { position: position('long', 5) });
    expect(partial.action === 'close' && partial.fraction.toString()).toBe('0.5');
  });

  it('a second BUY is a duplicate unless scaling in, and scaling in only adds to winners', () => {
    expect(decide({}, { position: position('long', 5) })).toMatchObject({ action: 'none', reason: { code: 'duplicate_position' } });
    expect(decide({}, { position: position('long', 5), config: { allowScaleIn: true } })).toMatchObject({ action: 'scale_in' });
    expect(decide({}, { position: position('long', -5), config: { allowScaleIn: true } })).toMatchObject({ action: 'none', reason: { code: 'not_a_winner' } });
    expect(decide({}, { position: position('long', 5, 'PENDING_EXIT'), config: { allowScaleIn: true } })).toMatchObject({ action: 'none', reason: { code: 'position_busy' } });
  });

  it('shorts only when configured and supported', () => {
    expect(decide({ side: 'sell' })).toMatchObject({ action: 'none', reason: { code: 'no_position' } });
    expect(decide({ side: 'sell' }, { config: { allowShorting: true } })).toMatchObject({ action: 'open', direction: 'short' });
    const noShorting = { ...ctx().capabilities, shorting: false };
    expect(decide({ side: 'sell' }, { config: { allowShorting: true }, capabilities: noShorting })).toMatchObject({ reason: { code: 'shorting_unsupported' } });
    const htb = { symbol: 'AAPL', assetClass: 'equity' as const, tradable: true, fractionable: false, shortable: false, quantityIncrement: d(1) };
    expect(decide({ side: 'sell' }, { config: { allowShorting: true }, asset: htb })).toMatchObject({ reason: { code: 'not_shortable' } });
    expect(decide({ side: 'buy' }, { position: position('short', 3) })).toMatchObject({ action: 'close' });
  });
});
