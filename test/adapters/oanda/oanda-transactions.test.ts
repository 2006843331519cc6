import { transactionMeaning } from 'tradewire/oanda';
import { describe, expect, it } from 'vitest';

/** v20 reject transactions, as the stream carries them, → what they mean to an order of ours. */
describe('transactionMeaning: *_ORDER_REJECT', () => {
  const ours = (orderId: string): string | undefined => (orderId === '41' ? 'stop-1' : undefined);
  const at = '2026-11-23T15:00:00.000000000Z';

  it('a new order refused: rejected, under the client id it was sent with', () => {
    const meaning = transactionMeaning({ id: '50', type: 'LIMIT_ORDER_REJECT', time: at, rejectReason: 'MARKET_HALTED', clientExtensions: { id: 'entry-1' } }, ours);
    expect(meaning.updates).toEqual([expect.objectContaining({ clientOrderId: 'entry-1', event: expect.objectContaining({ type: 'rejected', reason: 'MARKET_HALTED' }) })]);
  });

  it('a replacement refused (intendedReplacesOrderID): replace_rejected of the order it was to replace, which lives on — not rejected', () => {
    const named = transactionMeaning({ id: '51', type: 'STOP_ORDER_REJECT', time: at, rejectReason: 'MARKET_HALTED', clientExtensions: { id: 'stop-1' }, intendedReplacesOrderID: '41' }, ours);
    expect(named.updates).toEqual([{ clientOrderId: 'stop-1', brokerOrderId: '41', event: expect.objectContaining({ type: 'replace_rejected', reason: 'MARKET_HALTED' }) }]);
    // Sent unnamed (OANDA would not reuse the client id): the order it was to replace names it.
    const unnamed = transactionMeaning({ id: '52', type: 'STOP_ORDER_REJECT', time: at, rejectReason: 'MARKET_HALTED', intendedReplacesOrderID: '41' }, ours);
    expect(unnamed.updates.map((u) => [u.clientOrderId, u.event?.type])).toEqual([['stop-1', 'replace_rejected']]);
  });

  it('a resend refused because the id is taken: nothing (the reject is the resend’s, not the live order’s)', () => {
    expect(transactionMeaning({ id: '53', type: 'MARKET_ORDER_REJECT', time: at, rejectReason: 'CLIENT_ORDER_ID_ALREADY_EXISTS', clientExtensions: { id: 'entry-1' } }, ours).updates).toEqual([]);
  });
});
