import type { Clock, TimerHandle } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { ConfigurationError, describeError, type ValidationIssue } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { checkWholeNumber } from '../core/options.js';
import type { AlertPayload } from '../events/alert.js';
import type { EventSource } from '../events/event-bus.js';
import { redactSecrets } from '../broker/credentials.js';

export type NotificationSeverity = AlertPayload['severity'];

/** A message for people. */
export interface Notification {
  readonly severity: NotificationSeverity;
  readonly code: string;
  readonly title: string;
  readonly message: string;
  readonly at: number;
  /** Who it is about (a desk's account id). */
  readonly source?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where notifications go: a webhook, Slack, a mailer. `send` throws when delivery failed (it is retried). */
export interface NotificationTransport {
  readonly name: string;
  send(notification: Notification): Promise<void>;
}

/** Which severities go to a transport. */
export interface NotificationRoute {
  readonly transport: NotificationTransport;
  /** The least severe notification it takes (default `warning`). */
  readonly minSeverity?: NotificationSeverity;
}

export interface NotifierOptions {
  readonly routes: readonly NotificationRoute[];
  /** The same code and message again within this long is counted, not sent (default 5 minutes). */
  readonly dedupWindowMs?: number;
  /**
   * At most this many deliveries per transport per minute; the rest are counted, not sent (default
   * 20). Each transport object has its own budget — two Slack webhooks (both named `slack` by
   * default) do not share one.
   */
  readonly maxPerMinute?: number;
  /** Retries of a failed delivery, with exponential backoff from `retryDelayMs` (defaults 3 and 1 000). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** Strings that must never appear in a message (API keys, tokens, the broker's account numbers): replaced by [REDACTED]. */
  readonly secrets?: readonly string[];
  /** Called when a delivery failed for good (after its retries). Never called for a trading decision. */
  readonly onFailure?: (notification: Notification, transport: string, error: unknown) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface NotifierStats {
  readonly sent: number;
  readonly deduplicated: number;
  readonly rateLimited: number;
  readonly failed: number;
  readonly retried: number;
  readonly pending: number;
}

const RANK: Record<NotificationSeverity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Notifications for people: alerts (and anything a host sends) delivered to webhooks, Slack or a
 * mailer, routed by severity, de-duplicated, rate-limited per transport, retried with backoff on
 * the injected clock, and scrubbed of secrets and account numbers. `notify` never throws and never
 * waits: a delivery failing (or hanging) never blocks or fails trading; it is logged, counted and
 * reported to `onFailure`.
 */
export class Notifier {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly dedupWindowMs: number;
  private readonly maxPerMinute: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly recent = new Map<string, number>();
  private readonly sentAt = new Map<NotificationTransport, number[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<TimerHandle>();
  private counts = { sent: 0, deduplicated: 0, rateLimited: 0, failed: 0, retried: 0 };

  constructor(private readonly options: NotifierOptions) {
    checkNotifierOptions(options);
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    this.dedupWindowMs = options.dedupWindowMs ?? 300_000;
    this.maxPerMinute = options.maxPerMinute ?? 20;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  /** Sends every alert of an engine (or a desk's `desk:alert`s) on: returns the unsubscribe. */
  attach(events: Pick<EventSource<{ alert: AlertPayload }>, 'on'>, source?: string): () => void {
    return events.on('alert', (alert) => this.notifyAlert(alert, source));
  }

  /** An engine alert as a notification. */
  notifyAlert(alert: AlertPayload & { readonly account?: string }, source = alert.account): void {
    this.notify({
      severity: alert.severity,
      code: alert.code,
      title: `${alert.severity.toUpperCase()}: ${alert.code.replaceAll('_', ' ')}`,
      message: alert.message,
      at: this.clock.now(),
      ...(source ? { source } : {}),
      ...(alert.details ? { details: alert.details } : {}),
    });
  }

  /** Delivers `notification` to every route that takes its severity. Never throws; never waits. */
  notify(notification: Notification): void {
    try {
      const clean = this.scrub(notification);
      const now = this.clock.now();
      const key = `${clean.code}\u0000${clean.message}`;
      const last = this.recent.get(key);
      if (last !== undefined && now - last < this.dedupWindowMs) {
        this.counts.deduplicated++;
        return;
      }
      this.recent.set(key, now);
      if (this.recent.size > 10_000) this.recent.clear();
      for (const route of this.options.routes) {
        if (RANK[clean.severity] < RANK[route.minSeverity ?? 'warning']) continue;
        if (!this.admit(route.transport, now)) {
          this.counts.rateLimited++;
          continue;
        }
        this.deliver(route.transport, clean, 0);
      }
    } catch (error) {
      this.logger.error('the notifier failed to handle a notification', { error: describeError(error) });
    }
  }

  /** Resolves when every delivery under way (retries included) has ended: for tests and a clean shutdown. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Cancels pending retries. */
  stop(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  stats(): NotifierStats {
    return { ...this.counts, pending: this.inFlight.size };
  }

  private admit(transport: NotificationTransport, now: number): boolean {
    const times = (this.sentAt.get(transport) ?? []).filter((t) => now - t < 60_000);
    if (times.length >= this.maxPerMinute) {
      this.sentAt.set(transport, times);
      return false;
    }
    times.push(now);
    this.sentAt.set(transport, times);
    return true;
  }

  private deliver(transport: NotificationTransport, notification: Notification, attempt: number): void {
    const delivery = transport
      .send(notification)
      .then(() => {
        this.counts.sent++;
      })
      .catch((error: unknown) => {
        if (attempt < this.retries) {
          this.counts.retried++;
          const timer = this.clock.setTimeout(() => {
            this.timers.delete(timer);
            this.deliver(transport, notification, attempt + 1);
          }, this.retryDelayMs * 2 ** attempt);
          this.timers.add(timer);
          return;
        }
        this.counts.failed++;
        this.logger.warn(`notification to ${transport.name} failed after ${attempt + 1} attempts`, { code: notification.code, error: describeError(error) });
        try {
          this.options.onFailure?.(notification, transport.name, error);
        } catch {
          /* a failing failure handler changes nothing */
        }
      })
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /**
   * No secret, no account number: the given secrets become [REDACTED], and what looks like an
   * account or card number — digits with a dash or space inside (`50012345-01`, `1234 5678 9012`)
   * or a run of ten or more digits — keeps only its last four. Amounts (`50000000`, `1234.56`) stay.
   */
  private scrub(notification: Notification): Notification {
    const masked = redactSecrets(notification, this.options.secrets ?? []);
    const mask = (text: string): string => text.replace(/\b\d{6,}-\d{2,}\b|\b\d{4}[- ]\d{4}[- ]\d{4,}\b|\b\d{10,}\b/g, (digits) => `••••${digits.replace(/\D/g, '').slice(-4)}`);
    const walk = (value: unknown): unknown => {
      if (typeof value === 'string') return mask(value);
      if (Array.isArray(value)) return value.map(walk);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      return value;
    };
    return walk(masked) as Notification;
  }
}

const SEVERITIES: readonly NotificationSeverity[] = ['info', 'warning', 'critical'];

/** The notifier's options, checked when it is made: a route or a limit that is wrong would lose alerts silently, later. */
function checkNotifierOptions(options: NotifierOptions): void {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError([{ field: 'notifier', message: `must be { routes, … }, got ${String(options)}` }]);
  const issues: ValidationIssue[] = [];
  if (!Array.isArray(options.routes)) issues.push({ field: 'routes', message: `must be a list of { transport, minSeverity? }, got ${String(options.routes)}` });
  else {
    options.routes.forEach((route: Partial<NotificationRoute> | undefined, i) => {
      if (typeof route?.transport?.send !== 'function') issues.push({ field: `routes[${i}].transport`, message: 'must be a transport (an object with send())' });
      else if (typeof route.transport.name !== 'string' || route.transport.name === '') issues.push({ field: `routes[${i}].transport.name`, message: `must name the transport (logs and onFailure say it), got ${JSON.stringify(route.transport.name) ?? String(route.transport.name)}` });
      if (route?.minSeverity !== undefined && !SEVERITIES.includes(route.minSeverity)) issues.push({ field: `routes[${i}].minSeverity`, message: `must be info, warning or critical, got ${JSON.stringify(route.minSeverity) ?? String(route.minSeverity)}` });
    });
  }
  for (const [field, min] of [['dedupWindowMs', 0], ['maxPerMinute', 1], ['retries', 0], ['retryDelayMs', 0]] as const) {
    checkWholeNumber(options[field], field, min, issues);
  }
  if (options.secrets !== undefined && !(Array.isArray(options.secrets) && options.secrets.every((x) => typeof x === 'string'))) issues.push({ field: 'secrets', message: 'must be a list of strings' });
  if (options.onFailure !== undefined && typeof options.onFailure !== 'function') issues.push({ field: 'onFailure', message: `must be a function, got ${typeof options.onFailure}` });
  if (issues.length > 0) throw new ConfigurationError(issues.map((issue) => ({ ...issue, field: `notifier.${issue.field}` })));
}
