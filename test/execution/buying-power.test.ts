import { Decimal } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { resolveEngineConfig } from '../../src/config/engine-config.js';
import { BuyingPower } from '../../src/execution/buying-power.js';
import type { OrderTransition } from '../../src/model/apply-order-event.js';

const d = (v: string | number): Decimal => new Decimal(v);
const ended = (clientOrderId: string): OrderTransition => ({ order: { clientOrderId, status: 'cancelled' }, event: { type: 'cancelled', at: 0 } }) as unknown as OrderTransition;

describe('BuyingPower', () => {
  it('keeps Σ reservations exact: a reservation that does not terminate leaves no residue once its order ends', () => {
    const power = new BuyingPower(resolveEngineConfig());
    power.setAccount({ cash: d(2_000_000), equity: d(2_000_000), buyingPower: d(2_000_000) } as never);
    power.reserve('a', d('83.666666666666666667'));
    power.reserve('b', d(1_000_000));
    // 1000083.666666666666666667 exactly: read rounded once to 20 digits.
    expect(power.reserved().toString()).toBe('1000083.6666666666667');
    expect(power.available().toString()).toBe('999916.33333333333333');
    power.orderChanged(ended('b'));
    // Rounded at each change, the total kept 1000083.6666666666667 and read 83.6666666666666667 here.
    expect(power.reserved().toString()).toBe('83.666666666666666667');
    power.orderChanged(ended('a'));
    expect(power.reserved().toString()).toBe('0');
    expect(power.available().toString()).toBe('2000000');
  });
});
