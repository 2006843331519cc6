import type { Fill } from '../model/fill.js';
import type { OrderChanges } from '../model/order-event.js';
import { orderChangesToJSON } from '../model/order-serialization.js';
import { compactFill, type EventRecord, journalRecordToJSON } from './journal-json.js';
import type { JournalRecord } from './journal.js';

/**
 * A record as one line of JSON text, as a durable journal writes it: `JSON.stringify` of
 * {@link journalRecordToJSON}, but an order event (four of a signal's records) written directly —
 * ≈ 2.5× faster than building its JSON object and walking it. The same keys and values; only the
 * order of an event's keys may differ from the object's (it reads back equal either way).
 */
export function journalRecordText(record: JournalRecord): string {
  return (record.kind === 'order.event' && eventText(record)) || JSON.stringify(journalRecordToJSON(record));
}

/** The keys an event may have, by the text {@link eventText} writes them in. */
type AnyEvent = {
  readonly type: string;
  readonly at: number;
  readonly brokerOrderId?: string;
  readonly fill?: Fill;
  readonly changes?: OrderChanges;
  readonly reason?: string;
  readonly replacedBy?: string;
  readonly raw?: unknown;
};

/** An order event record's text, or undefined for an event with a key an order event does not have (written the long way, kept whole). */
function eventText(record: EventRecord): string | undefined {
  const event = record.event as AnyEvent;
  const { at, brokerOrderId } = record;
  let keys = 0;
  let known = 0;
  for (const key in event) {
    keys++;
    if (EVENT_KEYS.has(key)) known++;
  }
  if (keys !== known) return undefined;
  let text = `{"type":${JSON.stringify(event.type)}`;
  if (event.fill !== undefined) text += `,"fill":${JSON.stringify(compactFill(event.fill, event.at))}`;
  if (event.changes !== undefined) text += `,"changes":${JSON.stringify(orderChangesToJSON(event.changes))}`;
  if (event.reason !== undefined) text += `,"reason":${JSON.stringify(event.reason)}`;
  if (event.replacedBy !== undefined) text += `,"replacedBy":${JSON.stringify(event.replacedBy)}`;
  if (event.raw !== undefined) text += `,"raw":${JSON.stringify(event.raw)}`;
  if (event.brokerOrderId !== brokerOrderId) text += `,"brokerOrderId":${event.brokerOrderId === undefined ? 'null' : JSON.stringify(event.brokerOrderId)}`;
  if (event.at !== at) text += `,"at":${number(event.at)}`;
  text += '}';
  return (
    `{"kind":"order.event","at":${number(at)},"clientOrderId":${JSON.stringify(record.clientOrderId)},"symbol":${JSON.stringify(record.symbol)},` +
    `"from":${JSON.stringify(record.from)},"status":${JSON.stringify(record.status)}${record.outcome === 'applied' ? '' : `,"outcome":${JSON.stringify(record.outcome)}`},"event":${text}` +
    `${brokerOrderId === undefined ? '' : `,"brokerOrderId":${JSON.stringify(brokerOrderId)}`}${record.reason === undefined ? '' : `,"reason":${JSON.stringify(record.reason)}`},"seq":${number(record.seq)}}`
  );
}

const EVENT_KEYS: ReadonlySet<string> = new Set(['type', 'at', 'brokerOrderId', 'fill', 'changes', 'reason', 'replacedBy', 'raw']);

/** A number as JSON writes it (NaN and infinities as null). */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
