import type { Clock } from '../core/clock.js';

/**
 * A progress bar on a terminal (stderr): `[#######-------------] 35%  12.4 / 35.1 MB`, redrawn at
 * most every 100 ms and cleared at the end. Silent when the stream is not a terminal, unless forced.
 */
export class ProgressBar {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly clock: Clock,
    private readonly label: string,
    private readonly enabled = out.isTTY === true,
  ) {}

  update(done: number, total: number): void {
    if (!this.enabled || total <= 0) return;
    const now = this.clock.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    this.drawn = true;
    this.out.write(`\r${renderBar(this.label, done, total)}`);
  }

  done(): void {
    if (this.drawn) this.out.write('\r\u001b[2K');
    this.drawn = false;
  }
}

/** The bar's text (a pure function, tested on its own). */
export function renderBar(label: string, done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(fraction * width);
  const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(1);
  return `${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${mb(done)} / ${mb(total)} MB`;
}
