import type { Decimal } from '../core/decimal.js';
import type { Fill } from '../model/fill.js';
import type { Order } from '../model/order.js';
import {
  type FillJSON,
  fillToJSON,
  orderEventFromJSON,
  type OrderEventJSON,
  orderChangesToJSON,
  ORDER_DECIMALS,
  orderFromJSON,
  type OrderJSON,
  orderToJSON,
} from '../model/order-serialization.js';
import type { OrderChanges, OrderEvent } from '../model/order-event.js';
import { expandNoteData, compactNoteData } from './compact-notes.js';
import type { JournalRecord } from './journal.js';

/**
 * An order's keys an `order.created` record leaves out when the record already says them
 * (`clientOrderId`, `symbol`, `status`, `createdAt`) or they hold their default (no fills, nothing
 * filled, no links or tags, `updatedAt` = `createdAt`, …).
 */
type ImpliedOrderKey =
  | 'clientOrderId'
  | 'symbol'
  | 'status'
  | 'brokerOrderIds'
  | 'fills'
  | 'filledQuantity'
  | 'commission'
  | 'createdAt'
  | 'updatedAt'
  | 'extendedHours'
  | 'reduceOnly'
  | 'links'
  | 'tags';

/** The order of an `order.created` record as written: without {@link ImpliedOrderKey}s it can imply. */
export type CompactOrderJSON = Omit<OrderJSON, ImpliedOrderKey> & Partial<Pick<OrderJSON, ImpliedOrderKey>>;

/** The event of an `order.event` record as written: its `at` and broker order id left out when the record says them (`null`: the event had none). */
export type CompactOrderEventJSON = Record<string, unknown> & { readonly type: OrderEvent['type']; readonly at?: number };

type CreatedRecord = Extract<JournalRecord, { kind: 'order.created' }>;
/** @internal */
export type EventRecord = Extract<JournalRecord, { kind: 'order.event' }>;
type NoteRecord = Extract<JournalRecord, { kind: 'note' }>;

/**
 * A journal record as plain JSON (decimals as strings): what a durable journal writes. A record
 * carries what changed, not what it repeats: an `order.created` order without the keys the record
 * says or that hold their default, an `order.event` without `eventType` (its event's `type`) and
 * with an event that leaves out what the record says, an execution record or a signal decision
 * without the note's order id, symbol and time and without the durations its times give.
 * {@link journalRecordFromJSON} puts every one back. Records written before (every key spelled
 * out, `eventType` present) read as they always did.
 */
export type JournalRecordJSON =
  | (Omit<CreatedRecord, 'order'> & { readonly order: OrderJSON | CompactOrderJSON })
  | (Omit<EventRecord, 'event' | 'eventType' | 'outcome'> & {
      readonly eventType?: EventRecord['eventType'] | undefined;
      /** Left out when `applied`. */
      readonly outcome?: EventRecord['outcome'] | undefined;
      readonly event: OrderEventJSON | CompactOrderEventJSON;
    })
  | NoteRecord;

export function journalRecordToJSON(record: JournalRecord): JournalRecordJSON {
  switch (record.kind) {
    case 'order.created':
      return createdToJSON(record);
    case 'order.event':
      return eventToJSON(record);
    case 'note':
      return noteToJSON(record);
  }
}

export function journalRecordFromJSON(json: JournalRecordJSON): JournalRecord {
  switch (json.kind) {
    case 'order.created':
      return createdFromJSON(json);
    case 'order.event':
      return eventFromJSON(json);
    case 'note':
      return noteFromJSON(json);
  }
}

const DECIMAL_KEYS: ReadonlySet<string> = new Set(ORDER_DECIMALS);

/** True when the order's `key` holds what a compact record implies for it (so it is left out). */
function implied(record: CreatedRecord, order: Order, key: string, value: unknown): boolean {
  switch (key) {
    case 'clientOrderId':
    case 'symbol':
      return true; // checked equal to the record's before
    case 'status':
      return value === record.status;
    case 'brokerOrderIds':
    case 'fills':
      return (value as readonly unknown[]).length === 0;
    case 'filledQuantity':
    case 'commission':
      return (value as Decimal).isZero() && !(value as Decimal).isNegative();
    case 'createdAt':
      return value === record.at;
    case 'updatedAt':
      return value === order.createdAt;
    case 'extendedHours':
    case 'reduceOnly':
      return value === false;
    case 'links':
    case 'tags':
      return isEmpty(value as object);
    default:
      return false;
  }
}

function isEmpty(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

function createdToJSON(record: CreatedRecord): JournalRecordJSON {
  const { order } = record;
  // An order under another id or symbol than its record's (never written by the engine): spelled out.
  if (order.clientOrderId !== record.clientOrderId || order.symbol !== record.symbol) return { ...record, order: orderToJSON(order) };
  const out: Record<string, unknown> = {};
  for (const key in order) {
    const value = (order as unknown as Record<string, unknown>)[key];
    if (value === undefined || implied(record, order, key, value)) continue;
    out[key] = key === 'fills' ? (value as readonly Fill[]).map(fillToJSON) : DECIMAL_KEYS.has(key) ? (value as Decimal).toString() : value;
  }
  const json = { kind: record.kind, at: record.at, clientOrderId: record.clientOrderId, symbol: record.symbol, status: record.status, order: out as CompactOrderJSON, timeoutMs: record.timeoutMs, seq: record.seq };
  return json as JournalRecordJSON;
}

function createdFromJSON(json: Extract<JournalRecordJSON, { kind: 'order.created' }>): JournalRecord {
  const written = json.order;
  // Written spelled out (before records were compact, or under another id): as it is.
  const order: OrderJSON =
    written.clientOrderId !== undefined
      ? (written as OrderJSON)
      : {
          ...written,
          clientOrderId: json.clientOrderId,
          symbol: json.symbol,
          status: written.status ?? json.status,
          brokerOrderIds: written.brokerOrderIds ?? [],
          fills: written.fills ?? [],
          filledQuantity: written.filledQuantity ?? '0',
          commission: written.commission ?? '0',
          createdAt: written.createdAt ?? json.at,
          updatedAt: written.updatedAt ?? written.createdAt ?? json.at,
          extendedHours: written.extendedHours ?? false,
          reduceOnly: written.reduceOnly ?? false,
          links: written.links ?? {},
          tags: written.tags ?? {},
        };
  return { ...json, order: orderFromJSON(order) };
}

function eventToJSON(record: EventRecord): JournalRecordJSON {
  const { event, at, brokerOrderId } = record;
  // One pass over the event (orderEventToJSON's, without its copy): decimals as strings, the rest as it is.
  const out: Record<string, unknown> = {};
  for (const key in event) {
    const value = (event as unknown as Record<string, unknown>)[key];
    if (value === undefined || (key === 'at' && value === at) || (key === 'brokerOrderId' && value === brokerOrderId)) continue;
    out[key] = key === 'fill' ? compactFill((event as { fill: Fill }).fill, event.at) : key === 'changes' ? orderChangesToJSON(value as OrderChanges) : value;
  }
  // The record names the order's broker id; an event that did not carry it says so.
  if (brokerOrderId !== undefined && (event as { brokerOrderId?: string }).brokerOrderId === undefined) out.brokerOrderId = null;
  return {
    kind: record.kind,
    at,
    clientOrderId: record.clientOrderId,
    symbol: record.symbol,
    from: record.from,
    status: record.status,
    outcome: record.outcome === 'applied' ? undefined : record.outcome,
    event: out as CompactOrderEventJSON,
    brokerOrderId,
    reason: record.reason,
    seq: record.seq,
  };
}

/**
 * A fill without its time when that is its event's, nor a zero commission.
 *
 * @internal Shared with the journal's text writer.
 */
export function compactFill(fill: Fill, eventAt: number): { readonly [K in keyof FillJSON]?: FillJSON[K] | undefined } {
  const commission = fill.commission.toString();
  return {
    executionId: fill.executionId,
    quantity: fill.quantity.toString(),
    price: fill.price.toString(),
    commission: commission === '0' ? undefined : commission,
    time: fill.time === eventAt ? undefined : fill.time,
  };
}

function eventFromJSON(json: Extract<JournalRecordJSON, { kind: 'order.event' }>): JournalRecord {
  // Written spelled out (before records were compact): as it is.
  if (json.eventType !== undefined) return { ...json, eventType: json.eventType, outcome: json.outcome ?? 'applied', event: orderEventFromJSON(json.event as OrderEventJSON) };
  const written = json.event as CompactOrderEventJSON;
  const type = written.type;
  if (type === undefined) throw new Error(`journal record ${json.seq}: an order.event without its event's type`);
  const eventAt = written.at ?? json.at;
  // Key by key in the order written, so that writing it again gives the same text.
  const event: Record<string, unknown> = {};
  for (const key in written) {
    const value = written[key];
    if (key === 'brokerOrderId' && value === null) continue;
    event[key] = key === 'fill' ? fullFill(value as FillJSON, eventAt) : value;
  }
  if (!('brokerOrderId' in written) && json.brokerOrderId !== undefined) event.brokerOrderId = json.brokerOrderId;
  event.at = eventAt;
  return {
    kind: json.kind,
    at: json.at,
    clientOrderId: json.clientOrderId,
    symbol: json.symbol,
    from: json.from,
    status: json.status,
    outcome: json.outcome ?? 'applied',
    eventType: type,
    event: orderEventFromJSON(event as OrderEventJSON),
    brokerOrderId: json.brokerOrderId,
    reason: json.reason,
    seq: json.seq,
  };
}

function fullFill(fill: { readonly [K in keyof FillJSON]?: FillJSON[K] | undefined }, eventAt: number): FillJSON {
  return { executionId: fill.executionId!, quantity: fill.quantity!, price: fill.price!, commission: fill.commission ?? '0', time: fill.time ?? eventAt };
}

function noteToJSON(record: NoteRecord): NoteRecord {
  const data = compactNoteData(record);
  return data === record.data ? record : { ...record, data };
}

function noteFromJSON(json: NoteRecord): NoteRecord {
  const data = expandNoteData(json);
  return data === json.data ? json : { ...json, data };
}
