import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { scenario } from './network-faults.property.test.js';
it('scratch', async () => {
  const [actions, style] = JSON.parse(readFileSync(process.env.CX!, 'utf8'));
  const sym = process.env.SYM ?? 'AAPL';
  await scenario(actions, style, (engine: any, broker: any) => {
    engine.on('order:transition', (t: any) => t.order.symbol === sym && console.log(t.order.clientOrderId, t.order.side, t.order.type, t.order.quantity.toString(), t.order.status, t.order.filledQuantity.toString(), t.order.tags.leg ?? '', t.event?.type, String(t.event?.reason ?? '').slice(0, 90)));
    engine.on('alert', (a: any) => console.log('ALERT', a.code, a.message.slice(0, 150)));
    engine.on('reconciliation' as any, (r: any) => console.log('RECON', JSON.stringify({ m: r.positionMismatches.map((m: any) => `${m.symbol} ${m.local} ${m.broker}`), d: r.positionsDeferred, a: r.action })));
    engine.on('order:ignored' as any, (e: any) => e.order.symbol === sym && console.log('IGNORED', e.order.clientOrderId, e.order.status, e.event.type));
  });
});
