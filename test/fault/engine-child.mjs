// The process the fault-injection test kills: an ExecutionEngine on a durable FileJournal, talking to
// the parent's MockBroker over IPC. It recovers from the journal, then works through its signals,
// skipping any that already produced an order, and reports what it holds when done.
import { alwaysOpenMarket, BrokerError, ExecutionEngine, FileJournal, randomIds, replayJournal, silentLogger, systemClock } from 'tradewire';
import { decode, encode } from './wire.mjs';

const [journalPath, signalsText, capabilitiesText] = process.argv.slice(2);
// `postgres:<connection string>#<account>` runs the same life on the PostgreSQL journal.
const openJournal = async () => {
  if (!journalPath.startsWith('postgres:')) return new FileJournal({ path: journalPath, logger: silentLogger });
  const [connectionString, account] = journalPath.slice('postgres:'.length).split('#');
  const { PostgresJournal } = await import('tradewire/postgres');
  return PostgresJournal.open({ connectionString, account, logger: silentLogger });
};
const signals = JSON.parse(signalsText);
const pending = new Map();
const updateListeners = new Set();
let nextId = 1;

process.on('message', (message) => {
  if (message.type === 'reply') {
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (!call) return;
    if (message.error) {
      const e = message.error;
      call.reject(e.name === 'BrokerError' ? new BrokerError(e.code, e.message, { status: e.status, category: e.category, retryAfterMs: e.retryAfterMs, mayHaveReachedBroker: e.mayHaveReachedBroker, details: e.details }) : new Error(e.message));
    } else {
      call.resolve(message.result === undefined ? undefined : decode(message.result));
    }
  } else if (message.type === 'update') {
    const update = decode(message.update);
    for (const listener of updateListeners) listener(update);
  }
});

const call = (method, args) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    process.send({ type: 'call', id, method, args: encode(args) });
  });

const adapter = {
  name: 'remote-mock',
  capabilities: JSON.parse(capabilitiesText),
  connect: async () => undefined,
  disconnect: async () => undefined,
  getAccount: () => call('getAccount', []),
  getPositions: () => call('getPositions', []),
  getOpenOrders: () => call('getOpenOrders', []),
  getOrder: (ref) => call('getOrder', [ref]),
  getAsset: (symbol) => call('getAsset', [symbol]),
  submitOrder: (order) => call('submitOrder', [order]),
  replaceOrder: (order, changes) => call('replaceOrder', [order, changes]),
  cancelOrder: (ref) => call('cancelOrder', [ref]),
  cancelAllOrders: () => call('cancelAllOrders', []),
  onOrderUpdate: (listener) => {
    updateListeners.add(listener);
    return () => updateListeners.delete(listener);
  },
  onConnectionChange: () => () => undefined,
  health: () => ({ connected: true, streamConnected: true }),
};

const clock = systemClock();
const journal = await openJournal();
const engine = new ExecutionEngine({
  adapter,
  clock,
  ids: randomIds(),
  logger: silentLogger,
  // Real wall-clock time: whatever the hour this runs at, the market is open for the test.
  market: alwaysOpenMarket,
  journal,
  config: {
    sizing: { method: 'fixed_quantity', quantity: 10 },
    maxPositionSizePct: 100,
    maxAccountExposurePct: 100,
    orderManagement: { orderTimeoutMs: null },
    // Halt, not adopt: a disagreement must surface in the test, not be papered over.
    recovery: { reconcileIntervalMs: 0, onMismatch: 'halt', checkpointEveryRecords: 25, checkpointCheckMs: 5 },
    errorHandling: { minDelayMs: 1 },
  },
});

const mismatches = [];
engine.on('reconciliation', (report) => mismatches.push(...report.positionMismatches.map((m) => `${m.symbol}: local ${m.local} vs broker ${m.broker}`)));
await engine.start();
await engine.recover();
for (const symbol of new Set(signals.map((s) => s.symbol))) engine.updatePrice(symbol, '100');
for (const signal of signals) await engine.executeSignal({ ...signal, time: clock.now() });
await engine.reconcile();
/** Every record of the run, across checkpoints: the file's segments, or PostgreSQL's table page by page. */
async function wholeHistory() {
  if (journal instanceof FileJournal) return journal.history();
  await journal.sync();
  const records = [];
  for (let afterSeq; ; ) {
    const page = await journal.history({ limit: 5_000, ...(afterSeq === undefined ? {} : { afterSeq }) });
    records.push(...page.records);
    if (page.nextAfterSeq === undefined) return records;
    afterSeq = page.nextAfterSeq;
  }
}

process.send({
  type: 'done',
  summary: encode({
    // Every order of the run: the engine's, and — after checkpoints archived old segments — the
    // ended ones replayed from the whole history.
    orders: [...new Map([...replayJournal(await wholeHistory()).orders, ...engine.orders.orderList()].map((o) => [o.clientOrderId, o])).values()].map((o) => ({ clientOrderId: o.clientOrderId, signalId: o.signalId, status: o.status, filled: o.filledQuantity })),
    positions: engine.positions.openPositions().map((p) => ({ symbol: p.symbol, quantity: p.side === 'long' ? p.quantity : p.quantity.negated() })),
    mismatches,
    halted: engine.tradingState === 'ACTIVE' ? null : engine.tradingState,
  }),
});
process.disconnect();
