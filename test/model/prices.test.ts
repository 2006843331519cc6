import { Decimal } from 'tradewire';
import { marketableLimit } from '../../src/model/prices.js';
import { describe, expect, it } from 'vitest';

describe('marketableLimit', () => {
  it('goes through the price by the offset, at the price’s own precision (at least cents)', () => {
    expect(marketableLimit(new Decimal('100'), 'buy', new Decimal(10)).toString()).toBe('100.1');
    expect(marketableLimit(new Decimal('100'), 'sell', new Decimal(10)).toString()).toBe('99.9');
    expect(marketableLimit(new Decimal('1.08515'), 'buy', new Decimal(10)).toString()).toBe('1.08623');
  });

  it('drops the float noise of a price that came from a JS number, instead of a sub-penny limit', () => {
    const noisy = new Decimal(0.1 + 0.2); // 0.30000000000000004
    expect(noisy.toString()).toBe('0.30000000000000004');
    expect(marketableLimit(noisy, 'buy', new Decimal(0)).toString()).toBe('0.3');
    expect(marketableLimit(new Decimal(190.1 * 3), 'sell', new Decimal(10)).toString()).toBe('569.73');
  });
});
