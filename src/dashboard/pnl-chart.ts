import type { PnlPoint } from '../server/protocol.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 160;
const PAD = 6;

/** The day's P&L as an SVG line over a zero line; green above water, red below. */
export function pnlChart(points: readonly PnlPoint[]): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('class', 'pnl-chart');
  // Stretch to the panel's width; the stroke keeps its width (non-scaling-stroke in the CSS).
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'P&L today');
  if (points.length === 0) return svg;
  const values = points.map((p) => Number(p.daily));
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const span = high - low || 1;
  const first = points[0]!.at;
  const duration = points[points.length - 1]!.at - first || 1;
  const x = (at: number): number => PAD + ((at - first) / duration) * (WIDTH - 2 * PAD);
  const y = (v: number): number => PAD + ((high - v) / span) * (HEIGHT - 2 * PAD);
  const zero = document.createElementNS(SVG, 'line');
  zero.setAttribute('x1', String(PAD));
  zero.setAttribute('x2', String(WIDTH - PAD));
  zero.setAttribute('y1', String(y(0)));
  zero.setAttribute('y2', String(y(0)));
  zero.setAttribute('class', 'zero');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', (points.length === 1 ? [points[0]!, { ...points[0]!, at: first + 1 }] : points).map((p) => `${x(p.at).toFixed(1)},${y(Number(p.daily)).toFixed(1)}`).join(' '));
  line.setAttribute('class', values[values.length - 1]! >= 0 ? 'line gain' : 'line loss');
  svg.append(zero, line);
  return svg;
}
