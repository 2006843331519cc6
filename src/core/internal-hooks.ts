/**
 * How the engine keeps its own state current: hooks called directly, in a fixed order, before any
 * host hears of a change on the public bus (after nautilus_trader's ExecEngine, which updates its
 * cache and portfolio before publishing). A host cannot unplug them, and their failure is loud.
 */
export interface InternalFailure {
  readonly error: unknown;
  /** The hook that failed (e.g. `positions`). */
  readonly hook: string;
  /** What it was handling (e.g. `order tw-1 filled`). */
  readonly subject: string;
}

/** What a component does when one of its hooks throws: the engine journals, alerts and halts. */
export type InternalFailureHandler = (failure: InternalFailure) => void;

/** A list of named hooks called in the order they were added; one that throws does not stop the others. */
export class HookList<H extends { readonly name: string }> {
  private readonly hooks: H[] = [];

  constructor(private readonly onFailure: InternalFailureHandler) {}

  add(hook: H): void {
    this.hooks.push(hook);
  }

  get size(): number {
    return this.hooks.length;
  }

  /**
   * Calls `call(hook, arg)` on every hook, in order; a throw is handed to the failure handler with
   * `describe(arg)`. Callers pass module-level functions, so a call allocates nothing on the hot path.
   */
  run<A>(call: (hook: H, arg: A) => void, arg: A, describe: (arg: A) => string): void {
    const hooks = this.hooks;
    for (let i = 0; i < hooks.length; i++) {
      const hook = hooks[i]!;
      try {
        call(hook, arg);
      } catch (error) {
        this.onFailure({ error, hook: hook.name, subject: describe(arg) });
      }
    }
  }
}
