import fc from 'fast-check';
import { type BrokerHealthState, BrokerError, HealthTrackedAdapter } from 'tradewire';
import { ManualClock, MockBroker } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';

describe('HealthTrackedAdapter: the state judged from the window\'s counts', () => {
  it('property: after any calls — fast, slow, failing, refused — and stream drops, the state it keeps is the state its full report judges, and every change was announced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('call' as const), ms: fc.constantFrom(0, 5, 50, 99, 100, 101, 400), outcome: fc.constantFrom('ok', 'ok', 'ok', 'failed', 'refused') }),
            fc.record({ kind: fc.constant('stream' as const), connected: fc.boolean() }),
          ),
          { maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 12 }),
        async (steps, window) => {
          const clock = new ManualClock(Date.UTC(2024, 0, 2, 15, 0));
          const broker = new MockBroker({ clock });
          let connection: ((change: { state: 'connected' | 'disconnected' }) => void) | undefined;
          let next: { ms: number; outcome: string } = { ms: 0, outcome: 'ok' };
          // The broker's account call takes `ms` of the clock and answers, fails (a network error) or refuses (an answer).
          const inner = Object.assign(Object.create(broker) as MockBroker, {
            getAccount: async () => {
              clock.advance(next.ms);
              if (next.outcome === 'failed') throw new BrokerError('network_error', 'down', { category: 'RETRYABLE' } as never);
              if (next.outcome === 'refused') throw new BrokerError('invalid_order', 'no', { status: 422 });
              return broker.accountSnapshot();
            },
            onConnectionChange: (listener: typeof connection) => {
              connection = listener;
              return () => undefined;
            },
          });
          const announced: BrokerHealthState[] = [];
          const tracked = new HealthTrackedAdapter(inner, clock, 'acc', (report) => announced.push(report.state), { window, slowMs: 100, downAfterFailures: 3, errorRate: 0.25 });
          let last: BrokerHealthState = 'healthy';
          for (const step of steps) {
            if (step.kind === 'stream') connection?.({ state: step.connected ? 'connected' : 'disconnected' });
            else {
              next = step;
              await tracked.getAccount().catch(() => undefined);
            }
            const judged = tracked.report().state;
            expect(tracked.healthState).toBe(judged);
            if (judged !== last) expect(announced.at(-1)).toBe(judged);
            last = judged;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
