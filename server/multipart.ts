/**
 * Reading a multipart/form-data upload on plain node:http (the public API's visitor file), with
 * its limits applied while the bytes stream in: the parser is the one the inbox's thread uses
 * (Remix's `unstable_parseMultipartFormData`), fed from the request through a stream that,
 * when the upload is refused, drains what the client still sends instead of destroying the
 * socket — so the client reads the refusal (413 at `file`) rather than a reset connection.
 * Nothing of a refused upload is kept.
 */
import { unstable_parseMultipartFormData, type UploadHandler } from "@remix-run/node";
import type { IncomingMessage } from "node:http";

/** What an upload may hold: one file field, a few short text fields. */
export interface MultipartLimits {
  /** The one field that carries a file. */
  readonly fileField: string;
  /** Largest file (bytes). */
  readonly maxFileBytes: number;
  /** Largest text field (bytes). */
  readonly maxFieldBytes: number;
  /** Most text fields. */
  readonly maxFields: number;
}

/** A file as it arrived (name and type as the client sent them: the runtime sanitises both). */
export interface MultipartFile {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** Why an upload was refused: the HTTP status, the field path and a sentence for the sender. */
export interface MultipartRefusal {
  readonly status: 400 | 413 | 415;
  readonly path: string;
  readonly message: string;
}

export type MultipartResult =
  | { readonly ok: true; readonly fields: ReadonlyMap<string, string>; readonly file: MultipartFile | null }
  | { readonly ok: false; readonly refusal: MultipartRefusal };

/** True when a Content-Type header names multipart/form-data with a boundary. Pure. */
export const isMultipartFormData = (header: string | undefined): boolean =>
  typeof header === "string" && /^multipart\/form-data\s*;.*\bboundary=/i.test(header.trim());

const megabytes = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/**
 * The most bytes a whole upload within `limits` may take: the file, the text fields, and room
 * for the parts' headers and boundaries. A declared Content-Length past it is refused before a
 * byte is read. Pure.
 */
export const multipartBodyLimit = (limits: MultipartLimits): number => limits.maxFileBytes + limits.maxFields * limits.maxFieldBytes + 64 * 1024;

/** A refusal thrown from inside the parser's upload handler. */
class Refused extends Error {
  constructor(readonly refusal: MultipartRefusal) {
    super(refusal.message);
  }
}

/**
 * The request body as a web stream that pauses the request while the parser is behind, and on
 * cancel (a refused upload) stops listening and lets the rest drain, never destroying the socket.
 */
const bodyStream = (req: IncomingMessage): ReadableStream<Uint8Array> => {
  let onData: ((chunk: Buffer) => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let done = false;
      onData = (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      };
      req.on("data", onData);
      req.on("end", () => {
        if (done) return;
        done = true;
        controller.close();
      });
      const cutOff = () => {
        if (done) return;
        done = true;
        controller.error(new Error("the request body was cut off"));
      };
      req.on("error", cutOff);
      req.on("close", () => {
        if (!req.complete) cutOff();
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      if (onData) req.off("data", onData);
      req.resume();
    },
  }, { highWaterMark: 4 });
};

/**
 * Reads a multipart upload: its text fields (each at most `maxFieldBytes`, at most `maxFields`)
 * and at most one file in `fileField`, counted while it streams and refused (413 at that field)
 * at the first byte past `maxFileBytes`. A second file, a file in another field, a body that is
 * not multipart or is cut off are refusals too (400 / 415). An empty file input (a part with no
 * file name and no bytes) is no file. Never rejects.
 */
export const readMultipart = async (req: IncomingMessage, limits: MultipartLimits): Promise<MultipartResult> => {
  const type = req.headers["content-type"];
  if (!isMultipartFormData(type)) {
    return { ok: false, refusal: { status: 415, path: "", message: "send the file as multipart/form-data" } };
  }
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > multipartBodyLimit(limits)) {
    req.resume();
    return { ok: false, refusal: { status: 413, path: limits.fileField, message: `a file is at most ${megabytes(limits.maxFileBytes)}` } };
  }
  const fields = new Map<string, string>();
  let file: MultipartFile | null = null;
  let fieldCount = 0;
  const handler: UploadHandler = async ({ name, filename, contentType, data }) => {
    if (filename === undefined) {
      if (++fieldCount > limits.maxFields) throw new Refused({ status: 400, path: "", message: `an upload has at most ${limits.maxFields} fields` });
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of data) {
        size += chunk.byteLength;
        if (size > limits.maxFieldBytes) throw new Refused({ status: 413, path: name, message: `${name} is over ${limits.maxFieldBytes / 1024} KB` });
        chunks.push(chunk);
      }
      // The file field sent as text is an empty file input (some clients drop its empty file name): no file.
      if (name === limits.fileField) {
        if (size > 0) throw new Refused({ status: 400, path: name, message: `${name} must be a file (a part with a file name), not text` });
        return undefined;
      }
      // The first value of a field counts; a repeated one is ignored like URLSearchParams.get does.
      if (!fields.has(name)) fields.set(name, Buffer.concat(chunks).toString("utf8"));
      return undefined;
    }
    if (name !== limits.fileField) throw new Refused({ status: 400, path: name, message: `the file goes in the field named ${limits.fileField}` });
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of data) {
      size += chunk.byteLength;
      if (size > limits.maxFileBytes) {
        throw new Refused({ status: 413, path: limits.fileField, message: `a file is at most ${megabytes(limits.maxFileBytes)}` });
      }
      chunks.push(chunk);
    }
    // An empty file input still sends one part, with no name and no bytes.
    if (filename === "" && size === 0) return undefined;
    if (file !== null) throw new Refused({ status: 400, path: limits.fileField, message: "send one file per message" });
    file = { filename, contentType, content: Buffer.concat(chunks) };
    return undefined;
  };
  // The parser wants the type in lower case and the boundary bare: RFC 2046 allows "Multipart/…" and a quoted boundary.
  const boundary = /\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type!);
  const request = new Request("http://upload.invalid/", {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary?.[1] ?? boundary?.[2] ?? ""}` },
    body: bodyStream(req),
    duplex: "half",
  } as RequestInit & { duplex: "half" });
  try {
    await unstable_parseMultipartFormData(request, handler);
    return { ok: true, fields, file };
  } catch (error) {
    // The parser stopped reading: let what the client still sends drain, so it reads our answer.
    req.resume();
    if (error instanceof Refused) return { ok: false, refusal: error.refusal };
    return { ok: false, refusal: { status: 400, path: "", message: "the upload could not be read (it was cut short or is not well-formed multipart); send it again" } };
  }
};
