import { averageTrueRange, DEFAULT_PARTIAL_EXITS, Decimal, stopPrice, ValidationError } from 'tradewire';
import { realizedRewardRisk, stopAfterLeg, targetLegs, trailStop } from '../../src/risk/protection-levels.js';
import { describe, expect, it } from 'vitest';

const s = (d: Decimal): string => d.toString();

describe('stop prices, long and short', () => {
  it('fixed percent (default 2%)', () => {
    expect(s(stopPrice('long', '150', { method: 'percent', percent: 2 }))).toBe('147');
    expect(s(stopPrice('short', '150', { method: 'percent', percent: 2 }))).toBe('153');
  });

  it('ATR multiple (default 1.5 × ATR)', () => {
    expect(s(stopPrice('long', '150', { method: 'atr', atr: '2.4', multiplier: '1.5' }))).toBe('146.4');
    expect(s(stopPrice('short', '150', { method: 'atr', atr: '2.4', multiplier: '1.5' }))).toBe('153.6');
  });

  it('beyond a support (long) or resistance (short) level, with a buffer against stop hunting', () => {
    expect(s(stopPrice('long', '150', { method: 'support', level: '145', bufferPct: '0.1' }))).toBe('144.855');
    expect(s(stopPrice('short', '150', { method: 'support', level: '155', bufferPct: '0.1' }))).toBe('155.155');
  });

  it('trailing by percent (default 1%) or amount, from the best price since entry', () => {
    expect(s(stopPrice('long', '150', { method: 'trailing', percent: 1 }))).toBe('148.5');
    expect(s(stopPrice('long', '150', { method: 'trailing', percent: 1, extreme: '160' }))).toBe('158.4');
    expect(s(stopPrice('short', '150', { method: 'trailing', amount: '2', extreme: '140' }))).toBe('142');
    expect(() => stopPrice('long', '150', { method: 'trailing' })).toThrow(ValidationError);
  });

  it('a trailing stop follows the price path and never moves back', () => {
    let stop = stopPrice('long', '100', { method: 'trailing', percent: 1 });
    const path: string[] = [];
    for (const p of ['101', '103', '102', '105', '104.5']) {
      stop = trailStop('long', stop, p, { percent: 1 });
      path.push(s(stop));
    }
    expect(path).toEqual(['99.99', '101.97', '101.97', '103.95', '103.95']);
    let shortStop = stopPrice('short', '100', { method: 'trailing', amount: '1.5' });
    for (const p of ['98', '99', '96']) shortStop = trailStop('short', shortStop, p, { amount: '1.5' });
    expect(s(shortStop)).toBe('97.5');
  });
});

describe('take-profit legs, long and short', () => {
  it('reward:risk (default 2:1)', () => {
    expect(targetLegs('long', '100', '98', { method: 'risk_reward', ratio: 2 }).map((l) => s(l.price))).toEqual(['104']);
    expect(targetLegs('short', '100', '102', { method: 'risk_reward', ratio: 2 }).map((l) => s(l.price))).toEqual(['96']);
  });

  it('at a resistance level, with the R it represents', () => {
    const [leg] = targetLegs('long', '100', '98', { method: 'resistance', level: '105' });
    expect([s(leg!.price), s(leg!.r)]).toEqual(['105', '2.5']);
  });

  it('partial exits: 50% at 1R and 50% at 2R, each leg moving the stop', () => {
    const legs = targetLegs('long', '100', '98', { method: 'partial', legs: DEFAULT_PARTIAL_EXITS });
    expect(legs.map((l) => [s(l.price), s(l.fraction)])).toEqual([['102', '0.5'], ['104', '0.5']]);
    expect(s(stopAfterLeg(new Decimal(100), legs, 0))).toBe('100'); // break-even after the first
    const shortLegs = targetLegs('short', '100', '102', { method: 'partial', legs: DEFAULT_PARTIAL_EXITS });
    expect(shortLegs.map((l) => s(l.price))).toEqual(['98', '96']);
    expect(() => targetLegs('long', '100', '98', { method: 'partial', legs: [{ r: 1, fraction: '0.6' }] })).toThrow(/add up to 1/);
  });

  it('realized reward-to-risk per trade', () => {
    expect(s(realizedRewardRisk('long', '100', '98', '105'))).toBe('2.5');
    expect(s(realizedRewardRisk('short', '100', '102', '103'))).toBe('-1.5');
  });
});

describe('ATR from the host\'s bars', () => {
  it('averages the true range (gaps included), then smooths', () => {
    const bars = [
      { high: 10, low: 9, close: 9.5 },
      { high: 11, low: 9.5, close: 10.5 }, // TR 1.5
      { high: 12, low: 10, close: 11 }, // TR 2
      { high: 14, low: 13, close: 13.5 }, // gap up: TR 3 (14 − 11)
      { high: 13.5, low: 12.5, close: 13 }, // TR 1
    ];
    expect(s(averageTrueRange(bars, 3))).toBe('1.7777777777777777778'); // (1.5 + 2 + 3) / 3 = 2.1667, then (2.1667 × 2 + 1) / 3
    expect(() => averageTrueRange(bars.slice(0, 3), 3)).toThrow(/at least 4 bars/);
  });
});
