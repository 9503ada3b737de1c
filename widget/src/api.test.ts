import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, createApi } from "./api.js";

type Call = { url: string; method: string; auth: string | null; body: unknown };

/** A fake fetch answering from a script of handlers, recording every call. */
const fakeFetch = (handler: (call: Call, index: number) => Response | Error) => {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const call = { url, method: init.method ?? "GET", auth: headers.Authorization ?? null, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const answer = handler(call, calls.length - 1);
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return calls;
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => vi.unstubAllGlobals());

describe("createApi", () => {
  it("creates the visitor token once, even for concurrent calls, and sends it as Bearer", async () => {
    let tokens = 0;
    const calls = fakeFetch((call) => (call.url.endsWith("/api/visitors") ? json(201, { visitorToken: `t${++tokens}` }) : json(200, { ok: true })));
    const api = createApi("https://parley.test", "chan_1");
    await Promise.all([api.call("POST", "/api/visitors/attributes", { attributes: { a: 1 } }), api.call("GET", "/api/conversations/c1")]);
    expect(tokens).toBe(1);
    expect(calls[0]).toMatchObject({ url: "https://parley.test/api/visitors", method: "POST", auth: null, body: { channel: "chan_1" } });
    expect(calls.slice(1).map((call) => call.auth)).toEqual(["Bearer t1", "Bearer t1"]);
    expect(api.storedToken()).toBe("t1");
  });

  it("replaces a token the server refuses (401) and retries once", async () => {
    let tokens = 0;
    const calls = fakeFetch((call) => {
      if (call.url.endsWith("/api/visitors")) return json(201, { visitorToken: `t${++tokens}` });
      return call.auth === "Bearer t1" ? json(401, { error: { code: "unauthorized", message: "bad token" } }) : json(200, { fine: true });
    });
    const api = createApi("https://parley.test", "chan_2");
    await expect(api.call("GET", "/api/conversations/c1")).resolves.toEqual({ fine: true });
    expect(calls.map((call) => `${call.method} ${call.url.replace("https://parley.test", "")} ${call.auth}`)).toEqual([
      "POST /api/visitors null",
      "GET /api/conversations/c1 Bearer t1",
      "POST /api/visitors null",
      "GET /api/conversations/c1 Bearer t2",
    ]);
  });

  it("says a network failure or a server fault is worth retrying, and a bad request is not", async () => {
    fakeFetch((call) => {
      if (call.url.endsWith("/api/visitors")) return json(201, { visitorToken: "t" });
      if (call.url.endsWith("/down")) return new TypeError("Failed to fetch");
      if (call.url.endsWith("/busy")) return json(429, { error: { code: "rate_limited", message: "slow down" } });
      return json(400, { error: { code: "bad_request", message: "expected a string", path: "text" } });
    });
    const api = createApi("https://parley.test", "chan_3");
    const failure = (path: string): Promise<ApiError> => api.call<never>("POST", path, {}).catch((error: unknown) => error as ApiError);
    const down = await failure("/down");
    expect(down).toBeInstanceOf(ApiError);
    expect([down.status, down.retryable]).toEqual([0, true]);
    expect((await failure("/busy")).retryable).toBe(true);
    const bad = await failure("/bad");
    expect([bad.status, bad.code, bad.message, bad.retryable]).toEqual([400, "bad_request", "text: expected a string", false]);
  });

  it("forgets the token on request", async () => {
    fakeFetch(() => json(201, { visitorToken: "t9" }));
    const api = createApi("https://parley.test", "chan_4");
    await api.token();
    expect(api.storedToken()).toBe("t9");
    api.forgetToken();
    expect(api.storedToken()).toBeNull();
  });

  it("sends a FormData body as multipart (the browser sets the type), and fetches a file as a blob with the token in the header", async () => {
    const seen: Array<{ url: string; headers: Record<string, string>; body: unknown }> = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      seen.push({ url, headers: (init.headers ?? {}) as Record<string, string>, body: init.body });
      if (url.endsWith("/api/visitors")) return json(201, { visitorToken: "tf" });
      if (url.includes("/attachments/")) return new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { "Content-Type": "application/pdf" } });
      if (url.endsWith("/missing")) return json(404, { error: { code: "not_found", message: "attachment x was not found" } });
      return json(200, { messages: [] });
    });
    const api = createApi("https://parley.test", "chan_5");
    const form = new FormData();
    form.append("clientMessageId", "f-1");
    await api.call("POST", "/api/conversations/c1/files", form);
    const upload = seen.find((call) => call.url.endsWith("/files"))!;
    expect(upload.body).toBe(form);
    expect(upload.headers).toEqual({ Authorization: "Bearer tf" });
    const blob = await api.blob("/api/conversations/c1/attachments/att_1");
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3]);
    const download = seen.find((call) => call.url.includes("/attachments/"))!;
    expect(download.url).toBe("https://parley.test/api/conversations/c1/attachments/att_1");
    expect(download.headers).toEqual({ Authorization: "Bearer tf" });
    const missing = (await api.blob("/api/conversations/c1/missing").catch((error: unknown) => error)) as ApiError;
    expect([missing.status, missing.retryable]).toEqual([404, false]);
  });
});
