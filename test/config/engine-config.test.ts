import { ConfigurationError, DEFAULT_ENGINE_CONFIG, PRE_TRADE_CHECKS, resolveEngineConfig } from 'tradewire';
import { describe, expect, it } from 'vitest';

describe('engine configuration', () => {
  it('fills the specification defaults', () => {
    const c = resolveEngineConfig();
    expect(c.maxPositions).toBe(5);
    expect(c.maxPositionSizePct.toString()).toBe('10');
    expect(c.maxAccountExposurePct.toString()).toBe('50');
    expect(c.minSignalStrength).toBe(70);
    expect(c.dailyLossLimitPct.toString()).toBe('2');
    expect(c.minTradeSize.toString()).toBe('100');
    expect(c.stopLoss).toMatchObject({ method: 'percent' });
    expect(c.stopLoss.percent.toString()).toBe('2');
    expect(c.stopLoss.atrMultiplier.toString()).toBe('1.5');
    expect(c.stopLoss.trailingPercent.toString()).toBe('1');
    expect(c.takeProfit.riskRewardRatio.toString()).toBe('2');
    expect(c.orderManagement.orderTimeoutMs).toBe(60_000);
    expect(c.orderManagement.endedOrdersKept).toBe(10_000);
    expect(c.marketHours).toEqual({ queueWhenClosed: false, cancelAtClose: false, preMarket: false, afterHours: false, queueCheckIntervalMs: 60_000 });
    expect(Object.values(c.checks).every(Boolean)).toBe(true);
    expect(Object.keys(c.checks).sort()).toEqual([...PRE_TRADE_CHECKS].sort());
    expect(DEFAULT_ENGINE_CONFIG.maxPositions).toBe(5);
  });

  it('accepts overrides, decimals as strings, and a null timeout', () => {
    const c = resolveEngineConfig({ maxPositionSizePct: '12.5', sizing: { method: 'fixed_notional', notional: '2500' }, orderManagement: { orderTimeoutMs: null }, checks: { market_open: false } });
    expect(c.maxPositionSizePct.toString()).toBe('12.5');
    expect(c.sizing.notional.toString()).toBe('2500');
    expect(c.orderManagement.orderTimeoutMs).toBeNull();
    expect(c.checks.market_open).toBe(false);
    expect(c.checks.buying_power).toBe(true);
  });

  it('names every invalid field at once, including typos', () => {
    try {
      resolveEngineConfig({
        maxPositions: 0,
        maxPositionSizePct: 'ten',
        minSignalStrength: 101,
        allowShorting: 'yes' as never,
        sizing: { method: 'kelly' as never },
        stopLoss: { percent: -1 },
        checks: { buyingPower: false } as never,
        maxPosition: 3,
      } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe('invalid_configuration');
      expect((error as ConfigurationError).issues.map((i) => i.field).sort()).toEqual(
        ['allowShorting', 'checks.buyingPower', 'maxPosition', 'maxPositionSizePct', 'maxPositions', 'minSignalStrength', 'sizing.method', 'stopLoss.percent'].sort(),
      );
    }
  });

  it('endedOrdersKept: a whole number from 1, named when wrong', () => {
    expect(resolveEngineConfig({ orderManagement: { endedOrdersKept: 500 } }).orderManagement.endedOrdersKept).toBe(500);
    for (const bad of [0, 2.5, -1, '100' as never]) {
      expect(() => resolveEngineConfig({ orderManagement: { endedOrdersKept: bad } })).toThrow(ConfigurationError);
      try {
        resolveEngineConfig({ orderManagement: { endedOrdersKept: bad } });
      } catch (error) {
        expect((error as ConfigurationError).issues.map((i) => i.field)).toEqual(['orderManagement.endedOrdersKept']);
      }
    }
  });

  it('null, an array or a scalar is a ConfigurationError naming the field, never a TypeError or silence', () => {
    const fields = (config: unknown): string[] => {
      try {
        resolveEngineConfig(config as never);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).issues.map((i) => `${i.field}: ${i.message}`);
      }
      return [];
    };
    expect(fields(null)).toEqual(['config: must be an object, got null']);
    expect(fields([])).toEqual(['config: must be an object, got an array']);
    expect(fields('strict')).toEqual(['config: must be an object, got string "strict"']);
    expect(fields({ checks: true })).toEqual(['checks: must be an object of check names to true/false, got boolean true']);
    expect(fields({ sizing: [] })).toEqual(['sizing: must be an object, got an array']);
  });

  it('maxSignalAgeMs: 5 minutes by default, null turns it off, a whole number otherwise', () => {
    expect(resolveEngineConfig({}).maxSignalAgeMs).toBe(300_000);
    expect(resolveEngineConfig({ maxSignalAgeMs: null }).maxSignalAgeMs).toBeNull();
    expect(resolveEngineConfig({ maxSignalAgeMs: 60_000 }).maxSignalAgeMs).toBe(60_000);
    expect(() => resolveEngineConfig({ maxSignalAgeMs: 0 })).toThrow(ConfigurationError);
  });
});
