import type { BacktestStrategy } from 'tradewire/testing';

/** Every item of an async iterable, in order. */
export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** A strategy for tests: in after a rising close, out after a falling one. */
export const followTheLastBar: BacktestStrategy = ({ bar, history, position }) => {
  const h = history(bar.symbol, 2);
  if (h.length < 2) return;
  const up = Number(h[1]!.close) > Number(h[0]!.close);
  if (up && !position(bar.symbol)) return { side: 'buy' };
  if (!up && position(bar.symbol)) return { side: 'sell' };
};
