/** A request the fake server keeps waiting: `arrived` resolves when it comes in, `release()` lets it through. */
export interface HeldRequest {
  readonly arrived: Promise<void>;
  release(): void;
}

/**
 * Requests a fake broker server holds before processing them — a slow network, scripted to the
 * step: the test decides when each held request reaches the broker's logic, after the client may
 * have given up on it. Shared by the local Alpaca and OANDA servers.
 */
export class RequestHolds {
  private readonly holds: { method: string; path: RegExp; gate: Promise<void>; arrive: () => void }[] = [];

  /** Holds the next request matching `method` and `path`. */
  hold(method: string, path: RegExp): HeldRequest {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ method, path, gate, arrive });
    return { arrived, release };
  }

  /** Waits while a hold matches this request (called by the server before it processes one). */
  async wait(method: string, pathname: string): Promise<void> {
    const index = this.holds.findIndex((h) => h.method === method && h.path.test(pathname));
    if (index < 0) return;
    const [held] = this.holds.splice(index, 1);
    held!.arrive();
    await held!.gate;
  }
}
