import { settle } from 'tradewire';
import { describe, expect, it } from 'vitest';
import { AccountFeed } from '../../src/server/account-feed.js';
import { EventStream } from '../../src/server/event-stream.js';
import { engineOnMock } from '../helpers.js';

describe('AccountFeed: the recent fills a snapshot lists', () => {
  it('keeps the newest fillsKept fills; an order keeps its execution record (expected price) while any of its fills is listed', async () => {
    const { engine, broker, clock, signal } = await engineOnMock();
    const feed = new AccountFeed({ id: 'a', broker: 'mock', engine }, new EventStream({ clock, schedule: () => undefined }), { events: [], clock, onAlert: () => undefined, fillsKept: 3 });
    const detach = feed.attach();
    const listed = () => feed.view().fills.map((f) => `${f.symbol} ${f.quantity}${f.expectedPrice === undefined ? '' : ` @${f.expectedPrice}`}`);

    // AAPL fills in three parts (4 + 4 + 2): its record comes when the last part ends the order.
    broker.setLiquidity('AAPL', '4');
    await engine.executeSignal(signal());
    for (let i = 0; i < 2; i++) {
      broker.setPrice('AAPL', '100');
      await settle();
    }
    expect(listed()).toEqual(['AAPL 4 @100', 'AAPL 4 @100', 'AAPL 2 @100']);

    // Two more orders push AAPL's first two parts out; its last part still shows the expected price.
    await engine.executeSignal(signal({ symbol: 'MSFT' }));
    await engine.executeSignal(signal({ symbol: 'NVDA' }));
    expect(listed()).toEqual(['AAPL 2 @100', 'MSFT 10 @100', 'NVDA 10 @100']);

    // And once none of AAPL's fills is listed, the list moves on without it.
    await engine.executeSignal(signal({ symbol: 'MSFT', side: 'sell' }));
    expect(listed()).toEqual(['MSFT 10 @100', 'NVDA 10 @100', 'MSFT 10 @100']);
    detach();
  });
});
