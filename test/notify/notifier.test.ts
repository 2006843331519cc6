import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alwaysOpenMarket, EmailTransport, ExecutionEngine, ManualClock, type Notification, Notifier, silentLogger, SlackWebhookTransport, slackMessage, systemClock, WebhookTransport } from 'tradewire';
import { MockBroker, sequentialIds } from 'tradewire/testing';

/** A local HTTP receiver: records what it is sent; answers `status()` (500 to fail, 'hang' to never answer). */
async function receiver(status: () => number | 'hang' = () => 200): Promise<{ url: string; bodies: unknown[]; close: () => Promise<void> }> {
  const bodies: unknown[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const s = status();
      if (s === 'hang') return;
      res.writeHead(s).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const note = (fields: Partial<Notification> = {}): Notification => ({ severity: 'critical', code: 'breaker_tripped', title: 'CRITICAL: breaker tripped', message: 'daily loss limit reached', at: 0, ...fields });

describe('notifications for people (a local HTTP receiver)', () => {
  it('routes by severity: the webhook takes warnings and up, Slack only criticals; Slack gets its own message shape', async () => {
    const hook = await receiver();
    const slack = await receiver();
    closers.push(hook.close, slack.close);
    const notifier = new Notifier({ logger: silentLogger, routes: [{ transport: new WebhookTransport({ url: hook.url }), minSeverity: 'warning' }, { transport: new SlackWebhookTransport({ url: slack.url }), minSeverity: 'critical' }] });
    notifier.notify(note({ severity: 'info', code: 'i', message: 'fyi' }));
    notifier.notify(note({ severity: 'warning', code: 'slippage_exceeded', message: 'AAPL filled 62 bps worse' }));
    notifier.notify(note());
    await notifier.flush();
    expect(hook.bodies.map((b) => (b as Notification).code)).toEqual(['slippage_exceeded', 'breaker_tripped']);
    expect(slack.bodies).toHaveLength(1);
    expect((slack.bodies[0] as { text: string }).text).toBe(':rotating_light: *CRITICAL: breaker tripped*\ndaily loss limit reached');
    expect(notifier.stats()).toMatchObject({ sent: 3, failed: 0 });
  });

  it('de-duplicates a repeated alert within the window, and rate-limits a flood per transport', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const clock = new ManualClock(0);
    const notifier = new Notifier({ clock, logger: silentLogger, maxPerMinute: 3, dedupWindowMs: 60_000, routes: [{ transport: new WebhookTransport({ url: hook.url }) }] });
    for (let i = 0; i < 5; i++) notifier.notify(note());
    clock.advance(60_001);
    notifier.notify(note()); // the window passed: sent again
    for (let i = 0; i < 5; i++) notifier.notify(note({ code: `c${i}`, message: `m${i}` }));
    await notifier.flush();
    expect(notifier.stats()).toMatchObject({ deduplicated: 4, rateLimited: 3, sent: 4 }); // 1, then 1 after the window, then 2 of the 5 new ones (3 a minute)
  });

  it('each transport has its own rate budget, even two of the same kind under the same default name — the second route was left what the first had not used', async () => {
    const risk = await receiver();
    const ops = await receiver();
    closers.push(risk.close, ops.close);
    const notifier = new Notifier({ clock: new ManualClock(0), logger: silentLogger, maxPerMinute: 2, routes: [{ transport: new SlackWebhookTransport({ url: risk.url }) }, { transport: new SlackWebhookTransport({ url: ops.url }) }] });
    for (let i = 0; i < 3; i++) notifier.notify(note({ code: `c${i}`, message: `m${i}` }));
    await notifier.flush();
    expect([risk.bodies.length, ops.bodies.length]).toEqual([2, 2]);
    expect(notifier.stats()).toMatchObject({ sent: 4, rateLimited: 2 });
  });

  it('retries a failing receiver with backoff on the clock, and reports a delivery that failed for good — never throwing', async () => {
    let calls = 0;
    const flaky = await receiver(() => (++calls <= 2 ? 500 : 200));
    const dead = await receiver(() => 503);
    closers.push(flaky.close, dead.close);
    const failures: string[] = [];
    const notifier = new Notifier({ clock: systemClock(), logger: silentLogger, retries: 2, retryDelayMs: 10, onFailure: (_n, transport) => failures.push(transport), routes: [{ transport: new WebhookTransport({ url: flaky.url, name: 'flaky' }) }, { transport: new WebhookTransport({ url: dead.url, name: 'dead' }) }] });
    expect(() => notifier.notify(note())).not.toThrow();
    await vi.waitFor(() => expect(notifier.stats().sent + notifier.stats().failed).toBe(2), { timeout: 5_000 });
    expect(flaky.bodies).toHaveLength(3); // two failures, then delivered
    expect(dead.bodies).toHaveLength(3); // the first try and two retries
    expect(failures).toEqual(['dead']);
    expect(notifier.stats()).toMatchObject({ sent: 1, failed: 1, retried: 4 });
  });

  it('a receiver that hangs never blocks trading: notify returns at once and the engine keeps deciding', async () => {
    const hanging = await receiver(() => 'hang');
    closers.push(hanging.close);
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    const broker = new MockBroker({ clock, initialCash: 100_000 });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, rateLimit: false, quality: { slippageAlertPercent: '0.01' } });
    const notifier = new Notifier({ logger: silentLogger, routes: [{ transport: new WebhookTransport({ url: hanging.url, timeoutMs: 60_000 }) }] });
    notifier.attach(engine.events);
    await engine.start();
    // The broker fills 0.5 % above the price the engine saw: a slippage alert, delivered to a receiver that never answers.
    broker.setPrice('AAPL', '100.50');
    engine.updatePrice('AAPL', '100');
    const started = performance.now();
    const decision = await engine.executeSignal({ id: 'b', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'x' });
    expect(decision.kind).toBe('executed');
    expect(performance.now() - started).toBeLessThan(1_000);
    await vi.waitFor(() => expect(hanging.bodies.map((b) => (b as Notification).code)).toEqual(['slippage_exceeded']));
    expect(notifier.stats().pending).toBe(1); // still waiting on the receiver; trading went on
    notifier.stop();
    await engine.stop();
  });

  it('no secret and no account number reaches a message', async () => {
    const hook = await receiver();
    closers.push(hook.close);
    const mails: { subject: string; text: string }[] = [];
    const notifier = new Notifier({
      logger: silentLogger,
      secrets: ['sk-live-SECRET-TOKEN-1234'],
      routes: [{ transport: new WebhookTransport({ url: hook.url }) }, { transport: new EmailTransport({ send: async (m) => void mails.push(m) }) }],
    });
    notifier.notify(note({ message: 'auth failed with sk-live-SECRET-TOKEN-1234 on account 50012345-01 (card 1234 5678 9012); equity 50000000 KRW', details: { account: '50012345-01', key: 'sk-live-SECRET-TOKEN-1234', equity: '1234.56' } }));
    await notifier.flush();
    const sent = JSON.stringify(hook.bodies) + JSON.stringify(mails);
    expect(sent).not.toContain('SECRET-TOKEN');
    expect(sent).not.toContain('50012345');
    expect(sent).not.toContain('1234 5678');
    expect(sent).toContain('••••234501'.slice(0, 4)); // masked, last four kept
    expect(sent).toContain('50000000 KRW'); // amounts stay
    expect(mails[0]!.subject).toBe('[tradewire] CRITICAL: breaker tripped');
  });

  it('the Slack message as it appears', () => {
    const message = slackMessage({ severity: 'critical', code: 'breaker_tripped', title: 'CRITICAL: breaker tripped', message: 'daily loss -2150.00 reached the limit of 2000.00: reduce-only', at: Date.UTC(2024, 5, 3, 15, 42), source: 'us-equities', details: { breaker: 'daily-loss', value: '-2150.00' } });
    expect(message.text).toBe(':rotating_light: *CRITICAL: breaker tripped* (us-equities)\ndaily loss -2150.00 reached the limit of 2000.00: reduce-only');
    expect(message.blocks).toHaveLength(3);
  });
});

describe('a notifier set up wrong is refused when it is made, not at the first alert', () => {
  it('a webhook URL that is not http(s), a timeout that is not positive, routes that are not transports, limits that are not whole numbers: a ConfigurationError naming each — and the URL is not repeated (a Slack webhook URL is a secret)', () => {
    expect(() => new SlackWebhookTransport({ url: 'hooks.slack.com/services/T000/B000/SECRET' })).toThrow(/SlackWebhookTransport\.url must be an http\(s\) URL/);
    expect(() => new SlackWebhookTransport({ url: 'hooks.slack.com/services/T000/B000/SECRET' })).not.toThrow(/SECRET/);
    expect(() => new SlackWebhookTransport({ url: 'ftp://example.test/x' })).toThrow(/must be an http\(s\) URL, got a ftp: URL/);
    expect(() => new WebhookTransport({ url: 'https://example.test/hook', timeoutMs: 0 })).toThrow(/WebhookTransport\.timeoutMs must be a positive number/);
    expect(() => new EmailTransport({ send: 'smtp://x' as never })).toThrow(/EmailTransport\.send must be the host's mailer function/);
    const ok = new WebhookTransport({ url: 'https://example.test/hook' });
    expect(() => new Notifier({ routes: [{ transport: ok, minSeverity: 'urgent' as never }, { transport: {} as never }], maxPerMinute: 0, retries: 1.5 })).toThrow(
      expect.objectContaining({ code: 'invalid_configuration', issues: [expect.objectContaining({ field: 'notifier.routes[0].minSeverity' }), expect.objectContaining({ field: 'notifier.routes[1].transport' }), expect.objectContaining({ field: 'notifier.maxPerMinute' }), expect.objectContaining({ field: 'notifier.retries' })] }),
    );
    expect(() => new Notifier({ routes: ok as never })).toThrow(/notifier\.routes must be a list/);
    expect(() => new Notifier({ routes: [{ transport: { send: async () => undefined } as never }] })).toThrow(/notifier\.routes\[0\]\.transport\.name must name the transport/);
    expect(() => new Notifier({ routes: [{ transport: ok, minSeverity: 'critical' }], retries: 0 })).not.toThrow();
  });
});
