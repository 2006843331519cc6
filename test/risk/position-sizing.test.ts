import { type AssetInfo, Decimal, resolveEngineConfig, type SizingInput, sizePosition } from 'tradewire';
import { exitQuantity } from '../../src/risk/position-sizing.js';
import { describe, expect, it } from 'vitest';
import { d } from '../helpers.js';

const asset = (overrides: Partial<AssetInfo> = {}): AssetInfo => ({ symbol: 'X', assetClass: 'equity', tradable: true, fractionable: false, shortable: true, quantityIncrement: d(1), ...overrides });

function input(overrides: Partial<Omit<SizingInput, 'config'>> & { config?: Parameters<typeof resolveEngineConfig>[0] } = {}): SizingInput {
  const { config, ...rest } = overrides;
  // Generous caps unless a test narrows them, so each method is seen on its own.
  return {
    config: resolveEngineConfig({ maxPositionSizePct: 100, maxAccountExposurePct: 100, ...config }),
    price: d(50),
    stopPrice: d(49),
    strength: 80,
    equity: d(100_000),
    buyingPower: d(100_000),
    exposure: d(0),
    positionNotional: d(0),
    asset: asset(),
    assetClass: 'equity',
    ...rest,
  };
}

describe('position sizing', () => {
  it('fixed fractional: equity × risk ÷ distance to stop', () => {
    const r = sizePosition(input());
    expect(r.requested.toString()).toBe('1000'); // 100 000 × 1% / 1.00
    expect(r.quantity.toString()).toBe('1000');
    expect(r.notional.toString()).toBe('50000');
    expect(r.caps).toEqual([]);
  });

  it('fixed notional and fixed quantity', () => {
    expect(sizePosition(input({ config: { sizing: { method: 'fixed_notional', notional: 2_490 } } })).quantity.toString()).toBe('49');
    expect(sizePosition(input({ config: { sizing: { method: 'fixed_quantity', quantity: 7 } } })).quantity.toString()).toBe('7');
  });

  it('scales by signal strength', () => {
    expect(sizePosition(input({ config: { sizing: { method: 'fixed_quantity', quantity: 100, scaleByStrength: true } }, strength: 75 })).quantity.toString()).toBe('75');
  });

  it('is capped by max position size, then remaining exposure, then buying power, and says so', () => {
    const bySize = sizePosition(input({ config: { maxPositionSizePct: 10 } }));
    expect(bySize.quantity.toString()).toBe('200'); // 10 000 / 50
    expect(bySize.caps).toEqual(['max_position_size']);
    const scaleIn = sizePosition(input({ config: { maxPositionSizePct: 10 }, positionNotional: d(6_000) }));
    expect(scaleIn.quantity.toString()).toBe('80');
    const byExposure = sizePosition(input({ config: { maxAccountExposurePct: 50 }, exposure: d(45_000) }));
    expect(byExposure.quantity.toString()).toBe('100');
    expect(byExposure.caps).toEqual(['max_exposure']);
    const byBp = sizePosition(input({ buyingPower: d(1_234) }));
    expect(byBp.quantity.toString()).toBe('24');
    expect(byBp.caps).toEqual(['buying_power']);
    expect(sizePosition(input({ exposure: d(200_000) })).quantity.toString()).toBe('0');
  });

  it('rounds down per asset: whole shares, fractional shares, forex units, crypto increments', () => {
    const notional = { sizing: { method: 'fixed_notional' as const, notional: 1_000 } };
    expect(sizePosition(input({ config: notional, price: d(333) })).quantity.toString()).toBe('3');
    expect(sizePosition(input({ config: notional, price: d(333), asset: asset({ fractionable: true, quantityIncrement: d('0.000001') }) })).quantity.toString()).toBe('3.003003');
    expect(sizePosition(input({ config: { ...notional, allowFractional: false }, price: d(333), asset: asset({ fractionable: true, quantityIncrement: d('0.000001') }) })).quantity.toString()).toBe('3');
    expect(sizePosition(input({ config: notional, price: d('1.0843'), asset: asset({ assetClass: 'forex', quantityIncrement: d(1) }), assetClass: 'forex' })).quantity.toString()).toBe('922');
    expect(sizePosition(input({ config: notional, price: d(67_000), asset: asset({ assetClass: 'crypto', fractionable: true, quantityIncrement: d('0.0001') }), assetClass: 'crypto' })).quantity.toString()).toBe('0.0149');
    expect(sizePosition(input({ config: notional, price: d(67_000), asset: undefined, assetClass: 'crypto' })).quantity.toString()).toBe('0.01492537');
    expect(sizePosition(input({ config: notional, price: d(333), asset: undefined })).quantity.toString()).toBe('3');
    expect(sizePosition(input({ config: notional, price: d(333), asset: asset({ minQuantity: d(5) }) })).quantity.toString()).toBe('0');
  });

  it('exits never leave dust', () => {
    expect(exitQuantity(d(10), d(1), d(1)).toString()).toBe('10');
    expect(exitQuantity(d(11), d('0.5'), d(1)).toString()).toBe('5');
    expect(exitQuantity(d('0.0033'), d('0.5'), d('0.0001')).toString()).toBe('0.0016');
  });
});
