/** Where tradewire writes diagnostics. Pass your own (pino, winston, …) or {@link silentLogger}. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The default: warnings and errors to the console, quieter levels dropped. */
export function consoleLogger(): Logger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, context) => console.warn(`[tradewire] ${message}`, context ?? ''),
    error: (message, context) => console.error(`[tradewire] ${message}`, context ?? ''),
  };
}
