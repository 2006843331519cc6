import { closeSync, fdatasync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { Decimal } from 'tradewire';

/** Where a journal lives: in memory, a file flushed by the OS, or a file fsync'd before each send. */
export type Mode = 'memory' | 'os' | 'fsync';

/**
 * The reference: the least a signal path with this journal could do — validate, a few Decimal
 * checks, an order object, three emits, one line written to the file, and (fsync mode) wait for an
 * fdatasync shared by every signal waiting (group commit). Run in the same process as the engine,
 * so the ratio engine / reference, not an absolute time, is the figure.
 */
export async function reference(mode: Mode, inFlight: number, count: number, dir: string, arrival: Arrival = 'waves'): Promise<number> {
  const fd = mode === 'memory' ? -1 : openSync(join(dir, `ref-${mode}-${inFlight}.jsonl`), 'a');
  const lines: string[] = [];
  const bus = new EventEmitter();
  bus.on('a', () => undefined);
  bus.on('b', () => undefined);
  bus.on('c', () => undefined);
  let syncing: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  let dirty = false;
  const startSync = (): Promise<void> => {
    dirty = false;
    const p = new Promise<void>((ok, fail) => fdatasync(fd, (e) => (e ? fail(e) : ok()))).finally(() => (syncing = undefined));
    syncing = p;
    return p;
  };
  const durable = (): Promise<void> | undefined => {
    if (!dirty) return syncing;
    if (!syncing) return startSync();
    next ??= syncing.then(() => {
      next = undefined;
      return dirty ? startSync() : syncing;
    });
    return next;
  };
  const limit = new Decimal(1_000_000);
  const one = async (i: number): Promise<void> => {
    const signal = { id: `r${i}`, symbol: 'AAPL', side: i % 2 ? 'sell' : 'buy', strength: 80 };
    if (typeof signal.id !== 'string' || signal.strength < 0 || signal.strength > 100) throw new Error('invalid');
    const price = new Decimal('100.00');
    const quantity = new Decimal(10);
    const notional = price.times(quantity);
    if (notional.greaterThan(limit) || quantity.lessThanOrEqualTo(0)) throw new Error('limit');
    const order = { clientOrderId: `tw-${i}`, symbol: signal.symbol, side: signal.side, quantity, price, status: 'submitted', createdAt: Date.now() };
    bus.emit('a', order);
    bus.emit('b', order);
    bus.emit('c', order);
    const line = `${JSON.stringify(order)}\n`;
    if (mode === 'memory') lines.push(line);
    else {
      writeSync(fd, line);
      dirty = true;
    }
    if (mode === 'fsync') await durable();
  };
  const started = process.hrtime.bigint();
  await inFlightAs(arrival)(count, inFlight, one);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (fd >= 0) closeSync(fd);
  return count / seconds;
}

/** How signals arrive: in waves of `inFlight` (each awaited) or through a window that keeps `inFlight` going. */
export type Arrival = 'waves' | 'window';

/** Runs `count` tasks, `inFlight` at a time, as `arrival` says. */
export function inFlightAs(arrival: Arrival): typeof inWaves {
  return arrival === 'waves' ? inWaves : inWindow;
}

/**
 * Runs `count` tasks keeping `inFlight` of them going: each one that ends starts the next (a steady
 * stream of signals, `inFlight` being decided or sent at any time — the CPU works while a flush is
 * on the disk, which waves do not let it do).
 */
export async function inWindow(count: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}

/** Runs `count` tasks, `inFlight` at a time (each wave waits for the slowest: signals arriving in bursts). */
export async function inWaves(count: number, inFlight: number, task: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i += inFlight) {
    const wave: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + inFlight); j++) wave.push(task(j));
    await Promise.all(wave);
  }
}
