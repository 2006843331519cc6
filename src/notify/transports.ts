import { ConfigurationError } from '../core/errors.js';
import { brokerRequest } from '../broker/http-transport.js';
import type { Notification, NotificationTransport } from './notifier.js';

const ICON: Record<Notification['severity'], string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** POSTs the notification as JSON to a URL (a generic webhook: PagerDuty-style relays, your own service). */
export class WebhookTransport implements NotificationTransport {
  readonly name: string;
  constructor(private readonly options: { readonly url: string; readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs?: number; readonly name?: string }) {
    checkEndpoint('WebhookTransport', options);
    this.name = options.name ?? 'webhook';
  }

  async send(notification: Notification): Promise<void> {
    await post(this.name, this.options.url, notification, this.options.headers, this.options.timeoutMs);
  }
}

/** A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): `{ text, blocks }`. */
export class SlackWebhookTransport implements NotificationTransport {
  readonly name: string;
  constructor(private readonly options: { readonly url: string; readonly timeoutMs?: number; readonly name?: string }) {
    checkEndpoint('SlackWebhookTransport', options);
    this.name = options.name ?? 'slack';
  }

  async send(notification: Notification): Promise<void> {
    await post(this.name, this.options.url, slackMessage(notification), undefined, this.options.timeoutMs);
  }
}

/** The Slack message for a notification (exported: the docs show one). */
export function slackMessage(n: Notification): { text: string; blocks: unknown[] } {
  const text = `${ICON[n.severity]} *${n.title}*${n.source ? ` (${n.source})` : ''}\n${n.message}`;
  const fields = Object.entries(n.details ?? {})
    .slice(0, 10)
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${typeof v === 'string' ? v : JSON.stringify(v)}` }));
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...(fields.length ? [{ type: 'section', fields }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${n.code} · ${new Date(n.at).toISOString()}` }] },
    ],
  };
}

/** A hook for the host's own mailer (SMTP, SES): tradewire formats, the host sends. */
export class EmailTransport implements NotificationTransport {
  readonly name: string;
  constructor(private readonly options: { readonly send: (mail: { subject: string; text: string }) => Promise<void>; readonly name?: string }) {
    if (typeof options?.send !== 'function') throw new ConfigurationError([{ field: 'EmailTransport.send', message: `must be the host's mailer function, got ${typeof options?.send}` }]);
    this.name = options.name ?? 'email';
  }

  send(n: Notification): Promise<void> {
    return this.options.send({ subject: `[tradewire] ${n.title}`, text: `${n.message}\n\n${n.code} at ${new Date(n.at).toISOString()}${n.details ? `\n${JSON.stringify(n.details, null, 2)}` : ''}` });
  }
}

/**
 * A webhook's URL and timeout, checked when the transport is made: a typo found at the first
 * critical alert is an alert nobody receives.
 */
function checkEndpoint(what: string, options: { readonly url: string; readonly timeoutMs?: number } | undefined): void {
  const url: unknown = options?.url;
  let valid = false;
  try {
    valid = typeof url === 'string' && ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    valid = false;
  }
  const issues = [
    // Never the URL itself: a Slack webhook's path is its secret.
    ...(valid ? [] : [{ field: 'url', message: `must be an http(s) URL, got ${typeof url === 'string' ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? `a ${url.split(':')[0]}: URL` : 'a string that is not a URL') : String(url)}` }]),
    ...(options?.timeoutMs === undefined || (typeof options.timeoutMs === 'number' && options.timeoutMs > 0) ? [] : [{ field: 'timeoutMs', message: `must be a positive number of milliseconds, got ${String(options.timeoutMs)}` }]),
  ];
  if (issues.length > 0) throw new ConfigurationError(issues.map((issue) => ({ ...issue, field: `${what}.${issue.field}` })));
}

async function post(label: string, url: string, body: unknown, headers: Readonly<Record<string, string>> = {}, timeoutMs = 5_000): Promise<void> {
  const response = await brokerRequest(label, url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), timeoutMs });
  if (!response.ok) throw new Error(`${label}: HTTP ${response.status}`);
  await response.arrayBuffer().catch(() => undefined);
}
