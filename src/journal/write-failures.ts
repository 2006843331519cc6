import type { JournalWriteError } from '../core/errors.js';

/**
 * A journal's write failure and who hears of it (`Journal.onWriteError`): the failure now, if any,
 * told to the listeners when the journal starts failing — or when a failure becomes for good — and
 * when it writes again. A listener that throws does not stop the journal or the other listeners.
 *
 * @internal Shared with tradewire's own subpaths; not part of the supported API.
 */
export class WriteFailures {
  private failure: JournalWriteError | undefined;
  private readonly listeners = new Set<(failure: JournalWriteError | undefined) => void>();

  /** The failure now, or undefined while the journal writes. */
  get current(): JournalWriteError | undefined {
    return this.failure;
  }

  /** Adds a listener (told at once when the journal is failing already); returns the unsubscribe. */
  subscribe(listener: (failure: JournalWriteError | undefined) => void): () => void {
    this.listeners.add(listener);
    if (this.failure) listener(this.failure);
    return () => void this.listeners.delete(listener);
  }

  /** A write failed: kept (one for good stays), and told when it is news. Returns the failure now. */
  fail(error: JournalWriteError): JournalWriteError {
    const was = this.failure;
    if (was?.fatal) return was;
    this.failure = error;
    if (!was || error.fatal) this.tell(error);
    return error;
  }

  /** The journal wrote again: told once. */
  cleared(): void {
    if (!this.failure) return;
    this.failure = undefined;
    this.tell(undefined);
  }

  private tell(failure: JournalWriteError | undefined): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(failure);
      } catch {
        // A listener's own failure is its own: the journal goes on.
      }
    }
  }
}
