import type { JournalRecord } from './journal.js';

/** Journal notes the order error handler writes for each attempt to send an order, and each that failed. */
export const SEND_ATTEMPT_TOPIC = 'order.send_attempt';
export const SEND_FAILED_TOPIC = 'order.send_failed';

/** What a failed attempt's note carries (`reached`: it may have reached the broker, and may be processed later). */
export interface SendFailedNote {
  readonly attempt: number;
  readonly code: string;
  readonly category: string;
  readonly message: string;
  readonly reached?: true;
}

/** Codes of a failure on the way, before this note said `reached` itself: a timeout or a connection lost may have delivered the request. */
const REACHED_BY_CODE: ReadonlySet<string> = new Set(['timeout', 'network_error']);

/**
 * After a restart: the orders among `unsent` (restored as sent but unanswered) whose earlier send may
 * still be processed by the broker — an attempt whose answer the dead process never got, or one that
 * failed in a way that may have reached the broker. A resend refused for good then leaves the order in
 * doubt, not rejected: the first attempt can land seconds later and fill. An order whose notes the
 * journal no longer holds (a checkpoint came after its send) may have had such an attempt too.
 */
export function sendsThatMayLand(records: Iterable<JournalRecord>, unsent: ReadonlySet<string>): Set<string> {
  const attempts = new Map<string, { inFlight: boolean; mayLand: boolean }>();
  for (const record of records) {
    if (record.kind !== 'note' || record.clientOrderId === undefined || !unsent.has(record.clientOrderId)) continue;
    if (record.topic === SEND_ATTEMPT_TOPIC) {
      const seen = attempts.get(record.clientOrderId);
      if (seen) seen.inFlight = true;
      else attempts.set(record.clientOrderId, { inFlight: true, mayLand: false });
    } else if (record.topic === SEND_FAILED_TOPIC) {
      const seen = attempts.get(record.clientOrderId) ?? { inFlight: false, mayLand: false };
      const failed = record.data as Partial<SendFailedNote> | undefined;
      seen.inFlight = false;
      if (failed?.reached === true || (failed?.reached === undefined && REACHED_BY_CODE.has(failed?.code ?? ''))) seen.mayLand = true;
      attempts.set(record.clientOrderId, seen);
    }
  }
  const mayLand = new Set<string>();
  for (const id of unsent) {
    const seen = attempts.get(id);
    if (!seen || seen.inFlight || seen.mayLand) mayLand.add(id);
  }
  return mayLand;
}
