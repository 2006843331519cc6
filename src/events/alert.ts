/** An operator-facing notice: something a human should know about, now or soon. */
export interface AlertPayload {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly code: string;
  readonly message: string;
  readonly clientOrderId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one event every component may raise. */
export interface AlertEvents {
  alert: AlertPayload;
}
