import type { Clock, TimerHandle } from '../core/clock.js';
import type { Order } from '../model/order.js';

/**
 * Cancels orders that outlive their timeout. The deadline counts from when the order was first
 * sent (`submittedAt`, else `createdAt`), not from when this process armed it: an engine that
 * restarts more often than the timeout still cancels a resting order.
 */
export class OrderTimeouts {
  /** Only orders that have a timeout are listed (no entry means none). */
  private readonly durations = new Map<string, number>();
  private readonly handles = new Map<string, TimerHandle>();
  /** Orders whose deadline came while a cancel was already pending: they expire if that cancel fails. */
  private readonly overdue = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly expire: (clientOrderId: string, timeoutMs: number) => void,
  ) {}

  /** Records the order's timeout (`null`: none). */
  set(clientOrderId: string, timeoutMs: number | null): void {
    if (timeoutMs === null) this.durations.delete(clientOrderId);
    else this.durations.set(clientOrderId, timeoutMs);
  }

  /** The order's timeout (`null`: none). */
  timeoutOf(clientOrderId: string): number | null {
    return this.durations.get(clientOrderId) ?? null;
  }

  /** Starts the order's timer if it has a timeout and none is running. */
  arm(order: Order): void {
    const id = order.clientOrderId;
    const ms = this.durations.get(id);
    if (ms === undefined || this.handles.has(id)) return;
    const sentAt = order.submittedAt ?? order.createdAt;
    const left = Math.max(0, sentAt + ms - this.clock.now());
    const handle = this.clock.setTimeout(() => {
      this.handles.delete(id);
      this.expire(id, ms);
    }, left);
    this.handles.set(id, handle);
  }

  /**
   * The order's deadline came while a cancel (the host's, a halt's) was pending: nothing to do yet.
   * Should that cancel fail, {@link cancelFailed} expires the order — else, refused by the broker,
   * it would rest for good past its timeout.
   */
  markOverdue(clientOrderId: string): void {
    if (this.durations.has(clientOrderId)) this.overdue.add(clientOrderId);
  }

  /** A pending cancel failed and the order works on: if it outlived its timeout meanwhile, it expires now (once). */
  cancelFailed(order: Order): void {
    if (this.overdue.delete(order.clientOrderId)) this.arm(order);
  }

  /** The order ended: no timer, no timeout. */
  clear(clientOrderId: string): void {
    const handle = this.handles.get(clientOrderId);
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this.handles.delete(clientOrderId);
    this.durations.delete(clientOrderId);
    this.overdue.delete(clientOrderId);
  }

  /** Stops every timer (the timeouts stay recorded, to be armed again). */
  stopAll(): void {
    for (const handle of this.handles.values()) this.clock.clearTimeout(handle);
    this.handles.clear();
  }
}
