/**
 * The streaming multipart reader on a real node:http server: the header check, the declared-length
 * refusal before a byte is read, an empty file input, a repeated field, and an upload cut short.
 * (The public API's own refusals — 413 while streaming, a second file — are in tests/api/chat-files.test.ts.)
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isMultipartFormData, multipartBodyLimit, readMultipart, type MultipartLimits, type MultipartResult } from "./multipart.js";

const limits: MultipartLimits = { fileField: "file", maxFileBytes: 100, maxFieldBytes: 10, maxFields: 3 };
let server: Server;
let base: string;
let last: Promise<MultipartResult> | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    last = readMultipart(req, limits);
    void last.then((result) => res.end(JSON.stringify(result.ok ? { fields: Object.fromEntries(result.fields), file: result.file && { ...result.file, content: result.file.content.toString() } } : result)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const post = async (body: FormData | string, headers: Record<string, string> = {}) => {
  const res = await fetch(base, { method: "POST", body, headers });
  return JSON.parse(await res.text()) as Record<string, unknown>;
};

describe("isMultipartFormData", () => {
  it("wants multipart/form-data with a boundary", () => {
    expect(isMultipartFormData("multipart/form-data; boundary=abc")).toBe(true);
    expect(isMultipartFormData("Multipart/Form-Data;boundary=abc")).toBe(true);
    expect(isMultipartFormData("multipart/form-data")).toBe(false);
    expect(isMultipartFormData("application/json")).toBe(false);
    expect(isMultipartFormData(undefined)).toBe(false);
  });

  it("bounds the whole body by the file, the fields and room for the parts' headers", () => {
    expect(multipartBodyLimit(limits)).toBe(100 + 3 * 10 + 64 * 1024);
  });
});

describe("readMultipart", () => {
  it("reads the fields (the first of a repeated one) and the file; an empty file input is no file", async () => {
    const form = new FormData();
    form.append("a", "one");
    form.append("a", "two");
    form.append("file", new Blob([]), "");
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "hi.txt");
    expect(await post(form)).toEqual({ fields: { a: "one" }, file: { filename: "hi.txt", contentType: "text/plain", content: "hello" } });
  });

  it("refuses a field too long, too many fields, a body declared too large, and one that is not multipart", async () => {
    const long = new FormData();
    long.append("caption", "x".repeat(11));
    expect(await post(long)).toMatchObject({ ok: false, refusal: { status: 413, path: "caption" } });
    const many = new FormData();
    for (const name of ["a", "b", "c", "d"]) many.append(name, "1");
    expect(await post(many)).toMatchObject({ ok: false, refusal: { status: 400, message: "an upload has at most 3 fields" } });
    const declared = await new Promise<string>((resolve, reject) => {
      const req = request(base, { method: "POST", headers: { "Content-Type": "multipart/form-data; boundary=b", "Content-Length": String(multipartBodyLimit(limits) + 1) } });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.write("--b\r\n");
    });
    expect(JSON.parse(declared)).toMatchObject({ ok: false, refusal: { status: 413, path: "file" } });
    expect(await post("{}", { "Content-Type": "application/json" })).toMatchObject({ ok: false, refusal: { status: 415 } });
  });

  it("takes the type in any case and a quoted boundary", async () => {
    const body = '--a b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--a b--\r\n';
    expect(await post(body, { "Content-Type": 'Multipart/Form-Data; boundary="a b"' })).toEqual({ fields: {}, file: { filename: "x.txt", contentType: "text/plain", content: "hi" } });
  });

  it("answers 400 for a body that is not well-formed multipart", async () => {
    expect(await post("--b\r\nno headers end", { "Content-Type": "multipart/form-data; boundary=b" })).toMatchObject({ ok: false, refusal: { status: 400, path: "" } });
  });
});
