import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Effect, Exit, Layer } from "effect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  decodeBody,
  isPrivateAddress,
  makeWebhookClientLayer,
  WebhookClient,
  type WebhookClientOptions,
  WebhookFailed,
  type WebhookRequest,
  type WebhookResponse,
  webhookEvent,
} from "./webhook-client.js";

// ---------------------------------------------------------------------------------------------
// A real HTTP server on 127.0.0.1 (random port); `localhost` names the same machine as a second host.

let server: Server;
let port: number;
let base: string;
const hits: Array<string> = [];
/** Whether the server saw the client hang up before a streamed body was finished. */
let bigBodyAborted: Promise<boolean>;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

const json = (res: ServerResponse, status: number, value: unknown, contentType = "application/json") => {
  res.writeHead(status, { "content-type": contentType });
  res.end(JSON.stringify(value));
};

const redirect = (res: ServerResponse, status: number, location: string) => {
  res.writeHead(status, { location });
  res.end("moved");
};

const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  hits.push(`${req.method} ${path}`);
  const body = await readBody(req);
  const chain = /^\/redirect\/chain\/(\d+)$/.exec(path);
  if (chain) {
    const left = Number(chain[1]);
    return redirect(res, 302, left === 0 ? "/json" : `/redirect/chain/${left - 1}`);
  }
  switch (path) {
    case "/json":
      return json(res, 200, { ok: true, items: [1, 2] });
    case "/json-vendor":
      return json(res, 200, { vendor: "yes" }, "application/vnd.api+json; charset=utf-8");
    case "/text":
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("héllo");
    case "/bad-json":
      res.writeHead(502, { "content-type": "application/json" });
      return void res.end("<html>Bad gateway</html>");
    case "/empty":
      res.writeHead(204);
      return void res.end();
    case "/status/500":
      return json(res, 500, { error: "boom" });
    case "/echo":
      return json(res, 200, {
        method: req.method,
        body,
        contentType: req.headers["content-type"] ?? null,
        userAgent: req.headers["user-agent"] ?? null,
        custom: req.headers["x-custom"] ?? null,
      });
    case "/slow":
      setTimeout(() => json(res, 200, { late: true }), 2_000).unref();
      return;
    case "/stall-body":
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial": ');
      return;
    case "/big": {
      // Streamed without content-length, so only counting bytes while reading can stop it.
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(16 * 1024, "x");
      let sent = 0;
      bigBodyAborted = new Promise((resolve) => res.on("close", () => resolve(!res.writableFinished)));
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      return pump();
    }
    case "/big-declared":
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(1024 * 1024) });
      return void res.end(Buffer.alloc(1024 * 1024, "y"));
    case "/redirect/same":
      return redirect(res, 302, "/json");
    case "/redirect/same-absolute":
      return redirect(res, 301, `http://127.0.0.1:${port}/json`);
    case "/redirect/cross":
      return redirect(res, 302, `http://localhost:${port}/json`);
    case "/redirect/ftp":
      return redirect(res, 302, `ftp://127.0.0.1:${port}/json`);
    case "/redirect/loop":
      return redirect(res, 302, "/redirect/loop");
    case "/redirect/303":
      return redirect(res, 303, "/echo");
    case "/redirect/307":
      return redirect(res, 307, "/echo");
    default:
      return json(res, 404, { error: "not found" });
  }
};

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  hits.length = 0;
});

const call = (request: Partial<WebhookRequest> & { url: string }, options: WebhookClientOptions = { allowPrivateNetworks: true }) =>
  Effect.runPromise(
    Effect.exit(
      WebhookClient.pipe(
        Effect.flatMap((client) => client.call({ method: "GET", headers: [], timeoutMs: 2_000, ...request })),
        Effect.provide(makeWebhookClientLayer(options) as Layer.Layer<WebhookClient>),
      ),
    ),
  );

const ok = (exit: Exit.Exit<WebhookResponse, WebhookFailed>): WebhookResponse => {
  if (Exit.isFailure(exit)) throw new Error(`expected a response, got ${JSON.stringify(exit.cause)}`);
  return exit.value;
};

const failed = (exit: Exit.Exit<WebhookResponse, WebhookFailed>): WebhookFailed => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
  if (exit.cause._tag !== "Fail") throw new Error(`expected a WebhookFailed, got ${String(exit.cause)}`);
  return exit.cause.error;
};

// ---------------------------------------------------------------------------------------------

describe("WebhookClient.call", () => {
  it("parses a JSON response", async () => {
    expect(ok(await call({ url: `${base}/json` }))).toEqual({ status: 200, body: { ok: true, items: [1, 2] } });
    expect(ok(await call({ url: `${base}/json-vendor` }))).toEqual({ status: 200, body: { vendor: "yes" } });
  });

  it("returns a text response as a string", async () => {
    expect(ok(await call({ url: `${base}/text` }))).toEqual({ status: 200, body: "héllo" });
  });

  it("keeps the text of a body that claims JSON but is not", async () => {
    expect(ok(await call({ url: `${base}/bad-json` }))).toEqual({ status: 502, body: "<html>Bad gateway</html>" });
  });

  it("returns null for an empty body", async () => {
    expect(ok(await call({ url: `${base}/empty` }))).toEqual({ status: 204, body: null });
  });

  it("returns a 500 as a normal response", async () => {
    expect(ok(await call({ url: `${base}/status/500` }))).toEqual({ status: 500, body: { error: "boom" } });
  });

  it("sends method, headers and body, marking a JSON body as JSON", async () => {
    const response = ok(
      await call({ url: `${base}/echo`, method: "POST", body: '{"email":"a@b.c"}', headers: [{ name: "X-Custom", value: "42" }] }),
    );
    expect(response.body).toEqual({
      method: "POST",
      body: '{"email":"a@b.c"}',
      contentType: "application/json",
      userAgent: "Parley-Webhook/1.0",
      custom: "42",
    });
  });

  it("times out when the server does not answer within the node's timeout", async () => {
    const started = Date.now();
    const error = failed(await call({ url: `${base}/slow`, timeoutMs: 200 }));
    expect(error).toMatchObject({ reason: "timeout", message: "no complete response within 200 ms" });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("times out when the body stalls after the headers", async () => {
    const started = Date.now();
    const error = failed(await call({ url: `${base}/stall-body`, timeoutMs: 300 }));
    expect(error.reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("stops reading a streamed body past the size cap", async () => {
    const error = failed(await call({ url: `${base}/big` }, { allowPrivateNetworks: true, maxResponseBytes: 64 * 1024 }));
    expect(error).toMatchObject({ reason: "too_large", message: "the response is larger than 64 KB" });
    // The client hung up long before the 4 MB were sent.
    expect(await bigBodyAborted).toBe(true);
  });

  it("refuses a body whose declared length is past the cap, and reads one under it", async () => {
    const error = failed(await call({ url: `${base}/big-declared` }));
    expect(error.reason).toBe("too_large");
    const response = ok(await call({ url: `${base}/big-declared` }, { allowPrivateNetworks: true, maxResponseBytes: 2 * 1024 * 1024 }));
    expect(typeof response.body === "string" ? response.body.length : 0).toBe(1024 * 1024);
  });

  it("follows a same-host redirect", async () => {
    expect(ok(await call({ url: `${base}/redirect/same` }))).toEqual({ status: 200, body: { ok: true, items: [1, 2] } });
    expect(ok(await call({ url: `${base}/redirect/same-absolute` })).status).toBe(200);
    expect(hits).toEqual(["GET /redirect/same", "GET /json", "GET /redirect/same-absolute", "GET /json"]);
  });

  it("follows three redirects and refuses a fourth", async () => {
    expect(ok(await call({ url: `${base}/redirect/chain/2` })).status).toBe(200);
    const error = failed(await call({ url: `${base}/redirect/chain/3` }));
    expect(error).toMatchObject({ reason: "redirect_refused", message: "more than 3 redirects" });
    expect(failed(await call({ url: `${base}/redirect/loop` })).reason).toBe("redirect_refused");
  });

  it("refuses a redirect to another host without calling it", async () => {
    const error = failed(await call({ url: `${base}/redirect/cross` }));
    expect(error.reason).toBe("redirect_refused");
    expect(error.message).toBe("redirected from 127.0.0.1 to another host (localhost); only same-host redirects are followed");
    expect(hits).toEqual(["GET /redirect/cross"]);
  });

  it("refuses a redirect to a non-http URL", async () => {
    expect(failed(await call({ url: `${base}/redirect/ftp` }))).toMatchObject({ reason: "redirect_refused", message: "redirected to a ftp: URL" });
  });

  it("turns a POST into a GET on 303 and repeats it on 307", async () => {
    const after303 = ok(await call({ url: `${base}/redirect/303`, method: "POST", body: "a=1" }));
    expect(after303.body).toMatchObject({ method: "GET", body: "" });
    const after307 = ok(await call({ url: `${base}/redirect/307`, method: "POST", body: "a=1" }));
    expect(after307.body).toMatchObject({ method: "POST", body: "a=1" });
  });

  it("refuses URLs that are not plain http(s)", async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["not a url", '"not a url" is not a valid URL'],
      ["ftp://127.0.0.1/file", "only http and https URLs can be called, not ftp:"],
      ["file:///etc/passwd", "only http and https URLs can be called, not file:"],
      ["javascript:alert(1)", "only http and https URLs can be called, not javascript:"],
      [`http://user:secret@127.0.0.1:${port}/json`, "URLs with a user name or password are refused; send credentials in a header"],
    ];
    for (const [url, message] of cases) {
      expect(failed(await call({ url }))).toMatchObject({ reason: "bad_url", message });
    }
    expect(hits).toEqual([]);
  });

  it("refuses malformed requests before sending anything", async () => {
    expect(failed(await call({ url: `${base}/json`, body: "x" }))).toMatchObject({ reason: "bad_request", message: "a GET request cannot have a body" });
    expect(failed(await call({ url: `${base}/json`, headers: [{ name: "bad header", value: "x" }] })).reason).toBe("bad_request");
    expect(failed(await call({ url: `${base}/json`, timeoutMs: 0 })).reason).toBe("bad_request");
    expect(hits).toEqual([]);
  });

  it("reports a refused connection as a network error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = failed(await call({ url: `http://127.0.0.1:${closedPort}/` }));
    expect(error.reason).toBe("network");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("refuses loopback and private hosts when private networks are not allowed", async () => {
    for (const url of [`${base}/json`, `http://localhost:${port}/json`, `http://[::1]:${port}/json`, "http://10.1.2.3/"]) {
      const error = failed(await call({ url }, { allowPrivateNetworks: false }));
      expect([url, error.reason]).toEqual([url, "bad_url"]);
      expect(error.message).toMatch(/is a private network address/);
    }
    expect(hits).toEqual([]);
  });
});

describe("isPrivateAddress", () => {
  it("knows loopback, private, link-local and mapped addresses from public ones", () => {
    for (const address of ["127.0.0.1", "10.0.0.8", "172.20.1.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "example.com"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });
});

describe("decodeBody", () => {
  it("decodes JSON only when the content type says so", () => {
    expect(decodeBody("application/json; charset=utf-8", '{"a":1}')).toEqual({ a: 1 });
    expect(decodeBody("text/plain", '{"a":1}')).toBe('{"a":1}');
    expect(decodeBody(null, "plain")).toBe("plain");
    expect(decodeBody("application/json", "")).toBeNull();
    expect(decodeBody("application/jsonp", "cb({})")).toBe("cb({})");
  });
});

describe("webhookEvent", () => {
  it("turns a response (any status) into webhook_result and a failure into webhook_error", () => {
    expect(webhookEvent("w1", Exit.succeed({ status: 404, body: "nope" }))).toEqual({ type: "webhook_result", nodeId: "w1", status: 404, body: "nope" });
    expect(webhookEvent("w1", Exit.fail(new WebhookFailed({ reason: "timeout", message: "no complete response within 5 ms" })))).toEqual({
      type: "webhook_error",
      nodeId: "w1",
      message: "no complete response within 5 ms",
    });
    expect(webhookEvent("w1", Exit.die(new Error("bug")))).toEqual({ type: "webhook_error", nodeId: "w1", message: "the webhook call failed unexpectedly" });
  });
});
