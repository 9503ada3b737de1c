/**
 * The JS API can be called before widget.js has arrived (a stub `window.Parley = { q: [] }`
 * records calls) and before the chat UI chunk has loaded (calls wait in a buffer). Both replay
 * in the order the page made the calls.
 */

export const API_METHODS = ["open", "close", "toggle", "identify", "setAttributes", "reset", "on"] as const;
export type ApiMethod = (typeof API_METHODS)[number];

export interface QueuedCall {
  readonly method: ApiMethod;
  readonly args: ReadonlyArray<unknown>;
}

export interface QueueProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Reads the calls a page recorded on a stub before the loader ran: `stub.q` holds entries of
 * `[method, ...args]` (arrays or `arguments` objects). Malformed entries are reported with
 * their path and skipped, never thrown: a page's mistake must not stop the widget. Pure.
 */
export const readQueuedCalls = (stub: unknown): { readonly calls: ReadonlyArray<QueuedCall>; readonly problems: ReadonlyArray<QueueProblem> } => {
  const calls: QueuedCall[] = [];
  const problems: QueueProblem[] = [];
  const queue = (stub as { q?: unknown } | null | undefined)?.q;
  if (queue !== undefined && !Array.isArray(queue)) problems.push({ path: "Parley.q", message: "expected an array" });
  else
    for (const [index, entry] of ((queue ?? []) as Array<ArrayLike<unknown> | null>).entries()) {
      const method = entry?.[0] as ApiMethod;
      if (API_METHODS.includes(method)) calls.push({ method, args: Array.prototype.slice.call(entry, 1) });
      else problems.push({ path: `Parley.q[${index}]`, message: "expected [method, ...args] naming a Parley method" });
    }
  return { calls, problems };
};

/** Runs work against a target that arrives later (the chat UI chunk), in call order. */
export interface CallBuffer<T> {
  /** Runs `work` now when the target is there, else when it arrives; resolves with its result. */
  readonly run: <R>(work: (target: T) => R | Promise<R>) => Promise<R>;
  /** Runs `work` only when the target is already there (e.g. `close` before anything opened). */
  readonly ifReady: (work: (target: T) => void) => void;
  /** Hands over the target and replays every waiting call in order. */
  readonly attach: (target: T) => void;
}

/** A buffer with no target yet. */
export const createCallBuffer = <T>(): CallBuffer<T> => {
  let current: T | undefined;
  let waiting: Array<(target: T) => void> = [];
  return {
    run: (work) =>
      new Promise((resolve, reject) => {
        const go = (target: T) => {
          try {
            resolve(work(target));
          } catch (error) {
            reject(error);
          }
        };
        if (current) go(current);
        else waiting.push(go);
      }),
    ifReady: (work) => {
      if (current) work(current);
    },
    attach: (target) => {
      current = target;
      for (const go of waiting.splice(0)) go(target);
    },
  };
};
