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
  /** Per order: its last attempt unanswered, and whether any failed attempt may have reached the broker. */
  const attempts = new Map<string, { inFlight: boolean; mayLand: boolean }>();
  for (const record of records) {
    if (record.kind !== 'note' || (record.topic !== SEND_ATTEMPT_TOPIC && record.topic !== SEND_FAILED_TOPIC)) continue;
    const id = record.clientOrderId;
    if (id === undefined || !unsent.has(id)) continue;
    const seen = attempts.get(id) ?? { inFlight: false, mayLand: false };
    attempts.set(id, seen);
    seen.inFlight = record.topic === SEND_ATTEMPT_TOPIC;
    if (!seen.inFlight && mayHaveReached(record.data as Partial<SendFailedNote> | undefined)) seen.mayLand = true;
  }
  const mayLand = new Set<string>();
  for (const id of unsent) {
    const seen = attempts.get(id);
    if (!seen || seen.inFlight || seen.mayLand) mayLand.add(id);
  }
  return mayLand;
}

/** A failed attempt's note says it may have reached the broker — or, written before notes said so, its code does. */
function mayHaveReached(failed: Partial<SendFailedNote> | undefined): boolean {
  return failed?.reached === true || (failed?.reached === undefined && REACHED_BY_CODE.has(failed?.code ?? ''));
}
