/**
 * The chat UI's client for Parley's public chat API (docs/api.md): JSON over fetch (a file as
 * multipart FormData), the visitor token as a Bearer header — files are fetched with it too, as
 * blobs, so the token never sits in a URL — and one error type that says whether trying again can help.
 */
import { browserStore, storageKey } from "./storage.js";

const TIMEOUT_MS = 15_000;
/** An upload of up to 10 MB on a slow mobile link takes longer than a message. */
const UPLOAD_TIMEOUT_MS = 120_000;

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
  /** Calls `path` on the Parley origin; `auth` adds the visitor token (created on first need). A FormData body goes as multipart. */
  readonly call: <T>(method: "GET" | "POST", path: string, body?: unknown, auth?: boolean) => Promise<T>;
  /** GETs `path` with the visitor token and answers its bytes (a file). */
  readonly blob: (path: string) => Promise<Blob>;
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

  const request = async <T>(method: "GET" | "POST", path: string, body: unknown, token: string | null, asBlob = false): Promise<T> => {
    const controller = new AbortController();
    // The browser writes a FormData body's multipart type and boundary itself.
    const form = body instanceof FormData;
    const timer = setTimeout(() => controller.abort(), form ? UPLOAD_TIMEOUT_MS : TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(origin + path, {
        method,
        headers: { ...(body === undefined || form ? {} : { "Content-Type": "application/json" }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : form ? body : JSON.stringify(body),
        signal: controller.signal,
      });
      if (asBlob && response.ok) return (await response.blob()) as T;
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

  const authed = async <T>(method: "GET" | "POST", path: string, body: unknown, asBlob = false): Promise<T> => {
    try {
      return await request<T>(method, path, body, await token(), asBlob);
    } catch (error) {
      // A token the server no longer accepts (secret rotated, database reset): start over once.
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      forgetToken();
      return request<T>(method, path, body, await token(), asBlob);
    }
  };

  return {
    call: <T>(method: "GET" | "POST", path: string, body?: unknown, auth = true) => (auth ? authed<T>(method, path, body) : request<T>(method, path, body, null)),
    blob: (path) => authed<Blob>("GET", path, undefined, true),
    token,
    storedToken: () => store.get(key),
    forgetToken,
  };
};
