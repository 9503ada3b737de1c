/**
 * The chat UI's client for Parley's public chat API (docs/api.md): JSON over fetch, the visitor
 * token as a Bearer header, and one error type that says whether trying again can help.
 */
import { browserStore, storageKey } from "./storage.js";

const TIMEOUT_MS = 15_000;

/** A failed API call. `status` 0 means the network failed (no answer at all). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** True when the same request may succeed later: no answer, rate limited, or a server fault. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface Api {
  /** Calls `path` on the Parley origin; `auth` adds the visitor token (created on first need). */
  readonly call: <T>(method: "GET" | "POST", path: string, body?: unknown, auth?: boolean) => Promise<T>;
  readonly token: () => Promise<string>;
  /** The stored token, if any (no request). */
  readonly storedToken: () => string | null;
  /** Forgets the visitor token (and with it every conversation it owned). */
  readonly forgetToken: () => void;
}

/** An API client for one channel; the visitor token lives in localStorage per channel. */
export const createApi = (origin: string, channel: string): Api => {
  const store = browserStore("localStorage");
  const key = storageKey(channel, "visitor");
  let pending: Promise<string> | null = null;

  const request = async <T>(method: "GET" | "POST", path: string, body: unknown, token: string | null): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(origin + path, {
        method,
        headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (error) {
      throw new ApiError(0, "network", (error as Error).name === "AbortError" ? "the request timed out" : "the network failed");
    } finally {
      clearTimeout(timer);
    }
    const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; path?: string } } | null;
    if (!response.ok) {
      const error = payload?.error;
      const where = error?.path ? `${error.path}: ` : "";
      throw new ApiError(response.status, error?.code ?? `http_${response.status}`, `${where}${error?.message ?? `HTTP ${response.status}`}`);
    }
    return payload as T;
  };

  const token = (): Promise<string> => {
    const stored = store.get(key);
    if (stored) return Promise.resolve(stored);
    pending ??= request<{ visitorToken?: unknown }>("POST", "/api/visitors", { channel }, null)
      .then((answer) => {
        if (typeof answer?.visitorToken !== "string") throw new ApiError(502, "bad_answer", "POST /api/visitors: no visitorToken in the answer");
        store.set(key, answer.visitorToken);
        return answer.visitorToken;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };

  const forgetToken = () => store.remove(key);

  return {
    call: async <T>(method: "GET" | "POST", path: string, body?: unknown, auth = true) => {
      if (!auth) return request<T>(method, path, body, null);
      try {
        return await request<T>(method, path, body, await token());
      } catch (error) {
        // A token the server no longer accepts (secret rotated, database reset): start over once.
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
        forgetToken();
        return request<T>(method, path, body, await token());
      }
    },
    token,
    storedToken: () => store.get(key),
    forgetToken,
  };
};
