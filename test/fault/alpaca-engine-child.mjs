// The process the network fault-injection test kills: the README's production setup — an
// ExecutionEngine on a FileJournal, recover() on every start — with the Alpaca adapter (the real
// SDK) talking to the local Alpaca-compatible server in another process. It replays its whole
// signal feed on every start (the engine decides each signal id once), then reports what it holds.
import { alwaysOpenMarket, ExecutionEngine, FileJournal, randomIds, silentLogger, systemClock } from 'tradewire';
import { AlpacaAdapter } from 'tradewire/alpaca';
import { encode } from './wire.mjs';

const [journalPath, signalsText, brokerText] = process.argv.slice(2);
const signals = JSON.parse(signalsText);
const broker = JSON.parse(brokerText);

const clock = systemClock();
const adapter = new AlpacaAdapter({
  keyId: broker.keyId,
  secret: broker.secret,
  baseUrl: broker.baseUrl,
  streamUrl: broker.streamUrl,
  logger: silentLogger,
  // Short, so the broker's scripted slow requests time out here and land there afterwards.
  timeoutMs: 250,
  reconnect: { initialMs: 20, maxMs: 50 },
});
const engine = new ExecutionEngine({
  adapter,
  clock,
  ids: randomIds(),
  logger: silentLogger,
  market: alwaysOpenMarket,
  rateLimit: false,
  journal: new FileJournal({ path: journalPath, logger: silentLogger }),
  config: {
    sizing: { method: 'fixed_quantity', quantity: 10 },
    maxPositionSizePct: 100,
    maxAccountExposurePct: 100,
    // Entries rest as limits at 100 when the broker's price is above it: resting orders fill later,
    // often while no engine is alive.
    orderManagement: { orderTimeoutMs: null, entryOrderType: 'limit', limitOffsetBps: 0 },
    recovery: { reconcileIntervalMs: 0, onMismatch: 'halt', retries: 10, retryDelayMs: 20 },
    errorHandling: { minDelayMs: 100, retries: 5 },
    accountRefreshMs: 86_400_000,
  },
});

const mismatches = [];
engine.on('reconciliation', (report) => mismatches.push(...report.positionMismatches.map((m) => `${m.symbol}: local ${m.local} vs broker ${m.broker}`)));
let replayedAsNews = 0;
let recovering = true;
engine.on('position:opened', () => recovering && replayedAsNews++);
await engine.start();
const recovered = await engine.recover();
recovering = false;
for (const symbol of new Set(signals.map((s) => s.symbol))) engine.updatePrice(symbol, '100');
for (const signal of signals) await engine.executeSignal({ ...signal, time: clock.now() });
// The final check reads the broker; on this network a read can time out: ask again.
for (let attempt = 1; ; attempt++) {
  try {
    await engine.reconcile();
    break;
  } catch (error) {
    if (attempt >= 20) throw error;
  }
}
process.send({
  type: 'done',
  summary: encode({
    orders: engine.orders.orderList().map((o) => ({ clientOrderId: o.clientOrderId, signalId: o.signalId, status: o.status, filled: o.filledQuantity })),
    positions: engine.positions.openPositions().map((p) => ({ symbol: p.symbol, quantity: p.side === 'long' ? p.quantity : p.quantity.negated() })),
    decisions: signals.map((s) => engine.decisionFor(s.id)?.kind ?? null),
    mismatches,
    halted: engine.tradingState === 'ACTIVE' ? null : engine.tradingState,
    // Positions opened during recover() beyond the fills that happened while the process was down.
    // Which recovery paths the lives of this journal went through.
    paths: {
      sendsTimedOut: engine.orders.auditTrail({ topic: 'order.send_failed' }).filter((r) => r.data.code === 'timeout').length,
      adoptedAfterDuplicate: engine.orders.auditTrail({ topic: 'order.found_after_duplicate' }).length,
      foundAfterFailure: engine.orders.auditTrail({ topic: 'order.found_after_failure' }).length,
      recoveriesRetried: engine.orders.auditTrail({ topic: 'engine.recovered' }).filter((r) => r.data.attempts > 1).length,
      changedWhileDown: engine.orders.auditTrail({ topic: 'engine.recovered' }).reduce((n, r) => n + r.data.changedWhileDown, 0),
      resent: engine.orders.auditTrail({ topic: 'engine.recovered' }).reduce((n, r) => n + r.data.resent, 0),
    },
    replayedAsNews: Math.max(0, replayedAsNews - recovered.changedWhileDown.filter((c) => c.filledWhileDown.greaterThan(0)).length),
  }),
});
await engine.stop();
process.disconnect();
