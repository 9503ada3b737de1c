import { Either, Schema as S } from "effect";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeWith } from "../flows/decode.js";
import {
  bearerToken,
  bodyDecoder,
  clientIp,
  corsHeaders,
  deviceFromUserAgent,
  isJsonContentType,
  languagesFromHeader,
  originAllowed,
  parseJson,
  readJsonBody,
  sendError,
  sendJson,
  splitUrl,
} from "./http-util.js";

describe("parseJson", () => {
  it("returns the value or an InvalidInput at the root", () => {
    expect(parseJson('{"a":1}')).toEqual(Either.right({ a: 1 }));
    const bad = parseJson("{a:1}");
    expect(Either.isLeft(bad) && bad.left.issues[0]!.path).toBe("");
    expect(Either.isLeft(bad) && bad.left.issues[0]!.message).toMatch(/not valid JSON/);
    expect(Either.isLeft(parseJson("   "))).toBe(true);
  });
});

describe("bodyDecoder", () => {
  const decode = bodyDecoder(S.Struct({ text: S.String.pipe(S.maxLength(3)), n: S.Number }));
  it("reports exactly what flows/decode.ts decodeWith reports", () => {
    const schema = S.Struct({ a: S.Array(S.Struct({ b: S.Number })), c: S.optional(S.String.pipe(S.minLength(2))) });
    const input = { a: [{ b: 1 }, { b: "x" }], c: "z", extra: true };
    const ours = bodyDecoder(schema)(input);
    const theirs = decodeWith(schema)(input);
    expect(Either.isLeft(ours) && ours.left.issues).toEqual(Either.isLeft(theirs) && theirs.left);
    expect(Either.isLeft(theirs) && [...new Set(theirs.left.map((i) => i.path))]).toEqual(["a[1].b", "c"]);
  });

  it("collects every issue with its path", () => {
    const result = decode({ text: "toolong", n: "x" });
    expect(Either.isLeft(result)).toBe(true);
    if (Either.isLeft(result)) expect(result.left.issues.map((i) => i.path).sort()).toEqual(["n", "text"]);
  });
});

describe("request facts", () => {
  it("reads the device class from common user agents", () => {
    expect(deviceFromUserAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")).toBe("mobile");
    expect(deviceFromUserAgent("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36")).toBe("mobile");
    expect(deviceFromUserAgent("Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36")).toBe("tablet");
    expect(deviceFromUserAgent("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)")).toBe("tablet");
    expect(deviceFromUserAgent("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")).toBe("desktop");
    expect(deviceFromUserAgent(undefined)).toBe("desktop");
  });

  it("orders Accept-Language by q and drops junk", () => {
    expect(languagesFromHeader("de-CH, fr;q=0.9, en;q=0.8, *;q=0.5")).toEqual(["de-CH", "fr", "en"]);
    expect(languagesFromHeader("en;q=0.1, de")).toEqual(["de", "en"]);
    expect(languagesFromHeader("<script>, en;q=0")).toEqual([]);
    expect(languagesFromHeader(undefined)).toEqual([]);
  });

  it("reads bearer tokens and splits URLs", () => {
    expect(bearerToken({ headers: { authorization: "Bearer abc.def" } } as never)).toBe("abc.def");
    expect(bearerToken({ headers: { authorization: "Basic abc" } } as never)).toBeUndefined();
    const { path, query } = splitUrl("/api/x?after=3&token=t");
    expect(path).toBe("/api/x");
    expect(query.get("after")).toBe("3");
    expect(splitUrl("/api/x").query.get("a")).toBeNull();
  });

  it("reads the client's address from the socket unless reverse proxies are trusted, then that many hops back", () => {
    const req = (forwarded: string | undefined, socket = "10.0.0.9") =>
      ({ headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded }, socket: { remoteAddress: socket } }) as never;
    // Untrusted: whatever the client wrote is ignored.
    expect(clientIp(req("1.2.3.4"))).toBe("10.0.0.9");
    // One proxy appended the client's address; a forged entry before it does not count.
    expect(clientIp(req("6.6.6.6, 203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientIp(req("203.0.113.7"), 1)).toBe("203.0.113.7");
    // Two proxies: the client is two hops back from the socket.
    expect(clientIp(req("6.6.6.6, 203.0.113.7, 10.0.0.2"), 2)).toBe("203.0.113.7");
    // Fewer hops than trusted proxies: the leftmost address, which a trusted proxy wrote.
    expect(clientIp(req("203.0.113.7"), 3)).toBe("203.0.113.7");
    // No header at all: the socket.
    expect(clientIp(req(undefined), 1)).toBe("10.0.0.9");
    expect(clientIp(req(" , "), 1)).toBe("10.0.0.9");
  });

  it("allows an origin listed by the channel or `*`, and echoes it", () => {
    expect(originAllowed("https://shop.example", ["https://shop.example/"])).toBe(true);
    expect(originAllowed("https://evil.example", ["https://shop.example"])).toBe(false);
    expect(originAllowed("https://any.example", ["*"])).toBe(true);
    expect(corsHeaders("https://shop.example", true)["Access-Control-Allow-Origin"]).toBe("https://shop.example");
    expect(corsHeaders("https://evil.example", false)["Access-Control-Allow-Origin"]).toBeUndefined();
  });
});

describe("isJsonContentType", () => {
  it("accepts JSON with any parameters and +json types, nothing else", () => {
    for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json", " application/json ;x=1"]) {
      expect(isJsonContentType(type), type).toBe(true);
    }
    for (const type of [undefined, "", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "text/json"]) {
      expect(isJsonContentType(type), String(type)).toBe(false);
    }
  });
});

describe("readJsonBody over a real socket", () => {
  let server: Server;
  let base: string;
  let port: number;
  const outcomes: string[] = [];
  const decode = bodyDecoder(S.Struct({ text: S.String }));
  beforeAll(async () => {
    server = createServer((req, res) => {
      void readJsonBody(req, decode, 1024).then((result) => {
        outcomes.push(Either.isLeft(result) ? result.left._tag + ":" + (result.left._tag === "InvalidInput" ? result.left.issues[0]!.message : "") : "ok");
        if (Either.isLeft(result)) sendError(res, result.left);
        else sendJson(res, 200, result.right);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("decodes a good body", async () => {
    const res = await fetch(base, { method: "POST", body: JSON.stringify({ text: "hi" }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: "hi" });
  });

  it("answers 413 for a declared or streamed body over the cap", async () => {
    const res = await fetch(base, { method: "POST", body: JSON.stringify({ text: "x".repeat(2000) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    // Chunked, without a Content-Length: counted while streaming.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode("x".repeat(400)));
        controller.close();
      },
    });
    const streamed = await fetch(base, { method: "POST", body: chunks, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("settles (never hangs or throws) when the client breaks the body off", async () => {
    const before = outcomes.length;
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":");
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    const deadline = Date.now() + 2000;
    while (outcomes.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(outcomes.at(-1)).toBe("InvalidInput:the request body was cut off");
  });

  it("answers 400 for malformed JSON and for a schema violation with its path", async () => {
    const malformed = await fetch(base, { method: "POST", body: "{nope" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "invalid_input" } });
    const wrong = await fetch(base, { method: "POST", body: JSON.stringify({ text: 3 }) });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: "invalid_input", path: "text" } });
  });

  it("answers 400 at the root, in one line, for JSON that is not an object", async () => {
    const list = await fetch(base, { method: "POST", body: "[1,2]" });
    expect(list.status).toBe(400);
    expect(await list.json()).toEqual({
      error: { code: "invalid_input", message: "the body must be a JSON object, not an array", issues: [{ path: "", message: "the body must be a JSON object, not an array" }] },
    });
    expect(outcomes.at(-1)).toBe("InvalidInput:the body must be a JSON object, not an array");
  });
});
