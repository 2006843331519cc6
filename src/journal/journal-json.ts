import {
  orderEventFromJSON,
  type OrderEventJSON,
  orderEventToJSON,
  orderFromJSON,
  type OrderJSON,
  orderToJSON,
} from '../model/order-serialization.js';
import type { JournalRecord } from './journal.js';

/** A journal record as plain JSON (decimals as strings): what a durable journal writes. */
export type JournalRecordJSON =
  | (Omit<Extract<JournalRecord, { kind: 'order.created' }>, 'order'> & { readonly order: OrderJSON })
  | (Omit<Extract<JournalRecord, { kind: 'order.event' }>, 'event'> & { readonly event: OrderEventJSON })
  | Extract<JournalRecord, { kind: 'note' }>;

export function journalRecordToJSON(record: JournalRecord): JournalRecordJSON {
  switch (record.kind) {
    case 'order.created':
      return { ...record, order: orderToJSON(record.order) };
    case 'order.event':
      return { ...record, event: orderEventToJSON(record.event) };
    case 'note':
      return record;
  }
}

export function journalRecordFromJSON(json: JournalRecordJSON): JournalRecord {
  switch (json.kind) {
    case 'order.created':
      return { ...json, order: orderFromJSON(json.order) };
    case 'order.event':
      return { ...json, event: orderEventFromJSON(json.event) };
    case 'note':
      return json;
  }
}
