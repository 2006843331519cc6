/**
 * `npm run bench` — in-process throughput and latency of the order path on the mock broker.
 * A benchmark, not a test: it prints figures and asserts nothing. Record results in
 * docs/benchmarks.md with the machine and date.
 *
 *   npm run bench -- --orders=100000
 */
import os from 'node:os';
import { OrderLifecycleManager, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { arg, heapMb, percentiles } from './stats.js';

const N = arg('orders', 100_000);
const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
const broker = new MockBroker({ clock, initialCash: 1e12 });
const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, orderTimeoutMs: null, historyLimit: 1_000 });
broker.setPrice('AAPL', '100.00');

const submitLatency = new BigInt64Array(N);
let sent = 0n;
const send = broker.submitOrder.bind(broker);
broker.submitOrder = (order) => {
  sent = process.hrtime.bigint();
  return send(order);
};
const fillToApplied = new BigInt64Array(N);
let fillStart = 0n;
lifecycle.events.on('order:fill', () => {
  fillToApplied[count] = process.hrtime.bigint() - fillStart;
});
// Registered before the lifecycle's own listener, so it stamps the moment the broker reports the fill.
broker.onOrderUpdate((u) => {
  if (u.event.type === 'filled') fillStart = process.hrtime.bigint();
});
lifecycle.start();

let count = 0;
const warmup = Math.min(5_000, N);
for (let i = 0; i < warmup; i++) await lifecycle.submit({ symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', quantity: 1 });

const started = process.hrtime.bigint();
for (count = 0; count < N; count++) {
  const t0 = process.hrtime.bigint();
  await lifecycle.submit({ symbol: 'AAPL', side: count % 2 ? 'sell' : 'buy', quantity: 1 });
  submitLatency[count] = sent - t0;
}
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;

console.log(`tradewire bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}`);
console.log(`orders: ${N} (market, filled by the mock broker; lifecycle → broker → fill → lifecycle)`);
console.log(`throughput: ${Math.round(N / elapsedS).toLocaleString('en-US')} orders/s`);
console.log('request → adapter.submitOrder (µs):', percentiles(submitLatency, [50, 99, 99.9]));
console.log('broker fill → order updated and emitted (µs):', percentiles(fillToApplied, [50, 99, 99.9]));
console.log(`heap used: ${heapMb()} MB`);
