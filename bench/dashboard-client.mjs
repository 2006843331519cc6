// A dashboard client in its own process, for bench/dashboard.bench.ts: `read` takes every message
// (`count`), or also records how long each event took to arrive (`latency`: its `at` is the
// server's clock, fractional ms); `stall` connects and then never reads again. Prints one JSON line when told to stop (SIGTERM).
import { WebSocket } from 'ws';

const [url, mode] = process.argv.slice(2);
const latencies = [];
let messages = 0;
const socket = new WebSocket(url, ['tradewire.v1']);
socket.on('open', () => {
  if (mode === 'stall') socket._socket.pause();
  process.stdout.write('ready\n');
});
socket.on('message', (data) => {
  messages++;
  const now = performance.timeOrigin + performance.now();
  const frame = JSON.parse(String(data));
  if (mode === 'latency') for (const m of Array.isArray(frame) ? frame : [frame]) if (m.type === 'event') latencies.push(now - m.at);
});
// Stay up after the server drops us (a stalled client is dropped), until told to report.
socket.on('close', () => undefined);
setInterval(() => undefined, 1 << 30);
socket.on('error', () => undefined);
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ messages, latencies })}\n`, () => process.exit(0));
});
