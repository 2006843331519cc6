/**
 * Changes reach hosts in the order they were applied. A component applies a change, runs its
 * internal hooks, then emits it; a hook may apply a change of its own (protection cancelling an order
 * on its acknowledgement, placing a stop on a position just adopted), whose emit would otherwise
 * reach hosts first — a host mirroring states from events would end on the older one.
 *
 * One per event bus ({@link EventBus.announcements}), shared by every component that emits on it, so
 * an order's events and a position's keep their order too. Around each change:
 * `const turn = inOrder.begin(change, emit)`, the hooks, then `inOrder.end(turn, change, emit)`. With
 * no change in flight (the common case) nothing is allocated: the change is emitted at `end`.
 */
export class AnnounceInOrder {
  /** Changes whose hooks are running. */
  private running = 0;
  /** A change's events are being emitted: a listener's own change waits for the last of them. */
  private emitting = false;
  /** Changes applied while others were in flight, in the order applied; `ready` once their own hooks are done. */
  private readonly waiting: AnnouncementTurn[] = [];

  /** Nothing is being applied, announced or waiting: whatever is emitted now is in its turn. */
  get idle(): boolean {
    return this.running === 0 && !this.emitting && this.waiting.length === 0;
  }

  /** A change was applied; its hooks run next. Returns its place in line when it has to wait for others. */
  begin<T>(change: T, emit: (change: T) => void): AnnouncementTurn | undefined {
    const turn = this.idle ? undefined : { change, emit: emit as (change: unknown) => void, ready: false };
    if (turn) this.waiting.push(turn);
    this.running++;
    return turn;
  }

  /** Its hooks are done: emitted now, or once those applied before it have been. */
  end<T>(turn: AnnouncementTurn | undefined, change: T, emit: (change: T) => void): void {
    this.running--;
    if (turn) turn.ready = true;
    else this.emitNow(change, emit as (change: unknown) => void);
    // A change applied by a listener while another is being emitted waits for that emit to finish:
    // the outer loop below (or the outer end) emits it.
    if (this.running > 0 || this.emitting) return;
    // Shifted before it is emitted: a listener that applies a change of its own joins the line behind.
    const waiting = this.waiting;
    while (waiting.length > 0 && waiting[0]!.ready) {
      const next = waiting.shift()!;
      this.emitNow(next.change, next.emit);
    }
  }

  /**
   * One change's events, all of them (`order:accepted`, then its `order:transition`), before any
   * change a listener applies meanwhile — which is emitted after, in the order applied.
   */
  private emitNow(change: unknown, emit: (change: unknown) => void): void {
    this.emitting = true;
    try {
      emit(change);
    } finally {
      this.emitting = false;
    }
  }

  /** A change with no hooks of its own (an order created): emitted in its turn. */
  now<T>(change: T, emit: (change: T) => void): void {
    this.end(this.begin(change, emit), change, emit);
  }
}

/** A change waiting for its turn to be emitted. */
export interface AnnouncementTurn {
  readonly change: unknown;
  readonly emit: (change: unknown) => void;
  ready: boolean;
}
