/**
 * The files a visitor sends a page on Messenger (a photo of the broken part, an invoice): each
 * is a URL on Meta's CDN in the webhook event, fetched here before the message is stored, so the
 * inbox keeps the bytes (the CDN's URLs expire) and agents open them from the thread.
 *
 * - Which URLs are fetched (`messengerFileUrlCheck`): https only — or the origin of
 *   MESSENGER_GRAPH_URL, which is Facebook's own https origin in production and the tests' fake
 *   Graph server on loopback http, so tests can serve files without a certificate. A redirect is
 *   followed at most MESSENGER_FILE_MAX_REDIRECTS times, each target checked by the same rule.
 * - Limits: attachments.ts's (10 MB a file, 25 MB and 20 files a message), enforced while reading
 *   (a declared Content-Length over the cap is refused before the body, and `readCapped` stops
 *   a body that grows past it), and MESSENGER_FILE_TIMEOUT_MS per file, redirects included.
 * - A file that cannot be stored — a bad URL, a timeout, an HTTP error, too large — is listed
 *   with `skipped: <reason>` and no id; the message is stored all the same (a message is never
 *   lost for its file).
 *
 * Every name this module exports starts with Messenger/messenger, like the channel's.
 */
import { createHash } from "node:crypto";
import { Effect } from "effect";
import {
  ATTACHMENT_MAX_LISTED,
  attachmentContentType,
  attachmentFilename,
  attachmentLimits,
  attachmentNewId,
  type AttachmentLimits,
  type AttachmentRow,
} from "./attachments.js";
import type { MessengerFileKind, MessengerInboundFile } from "./messenger-events.js";
import { readCapped } from "./read-capped.js";

/** How long one file may take to arrive, redirects included (a webhook must answer Facebook within about 20 s). */
export const MESSENGER_FILE_TIMEOUT_MS = 10_000;
/** Most redirects followed for one file (a CDN may send one or two). */
export const MESSENGER_FILE_MAX_REDIRECTS = 3;

/** A file as the message's payload lists it: `id` exactly when it was stored (the inbox links `/inbox/attachments/<id>`). */
export interface MessengerFileEntry {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
  /** Bytes; null when unknown (a file skipped before its size was known). */
  readonly size: number | null;
  readonly skipped?: string;
}

/** A message's files: the payload's list and the rows to store with the message (ids shared). */
export interface MessengerFiles {
  readonly entries: ReadonlyArray<MessengerFileEntry>;
  readonly rows: ReadonlyArray<AttachmentRow>;
}

export const messengerNoFiles: MessengerFiles = { entries: [], rows: [] };

/**
 * Whether a file URL may be fetched: an absolute `https:` URL, or one on the origin of the Graph
 * API's base URL (that is how tests serve files from their fake Graph server over loopback http);
 * never one with a user name or password in it. The parsed URL, or why not. Pure.
 */
export const messengerFileUrlCheck = (
  raw: string | null,
  graphUrl: string,
): { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string } => {
  if (raw === null) return { ok: false, reason: "Messenger sent no URL for it" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "its URL is not a valid URL" };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "its URL carries a user name or password" };
  if (url.protocol === "https:") return { ok: true, url };
  let graphOrigin: string | null = null;
  try {
    graphOrigin = new URL(graphUrl).origin;
  } catch {
    graphOrigin = null;
  }
  if (graphOrigin !== null && url.origin === graphOrigin) return { ok: true, url };
  return { ok: false, reason: `only https URLs are fetched, not ${url.protocol.replace(/:$/, "")} (${url.origin})` };
};

/** File name extensions of the types Messenger sends most, for a file whose URL has no name. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "video/quicktime": "mov",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "audio/ogg": "ogg",
  "audio/wav": "wav",
  "application/pdf": "pdf",
  "text/plain": "txt",
};

/**
 * The name a fetched file is stored under: the last segment of the URL's path (percent-decoded,
 * sanitised by attachments.ts), or `<kind>.<ext>` from its content type when the path names
 * nothing (`image.jpg`, `file`). Pure.
 */
export const messengerFileName = (url: URL | null, kind: MessengerFileKind, contentType: string): string => {
  const segment = url === null ? "" : (url.pathname.split("/").pop() ?? "");
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // A stray "%" is kept as typed.
  }
  const name = attachmentFilename(decoded);
  if (decoded.trim() !== "" && name !== attachmentFilename(null)) return name;
  const extension = EXTENSIONS[attachmentContentType(contentType)];
  return extension === undefined ? kind : `${kind}.${extension}`;
};

const parsedOrNull = (raw: string | null): URL | null => {
  if (raw === null) return null;
  try {
    return new URL(raw);
  } catch {
    return null;
  }
};

const megabytes = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/** Options for fetching (parameters so tests can use a short timeout and small limits). */
export interface MessengerFetchOptions {
  readonly graphUrl: string;
  readonly timeoutMs?: number;
  readonly limits?: AttachmentLimits;
  readonly makeId?: () => string;
}

type Fetched =
  | { readonly ok: true; readonly url: URL; readonly contentType: string; readonly data: Buffer }
  | { readonly ok: false; readonly url: URL | null; readonly contentType: string | null; readonly size: number | null; readonly reason: string };

const describeError = (error: unknown, timeoutMs: number): string => {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return `did not arrive within ${timeoutMs / 1000} s`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `could not be fetched (${error instanceof Error ? error.message : String(error)}${cause})`;
};

/** Fetches one file within `cap` bytes and the timeout; never rejects (a failure is a reason). */
const fetchOne = async (
  file: MessengerInboundFile,
  cap: number,
  capReason: string,
  options: { readonly graphUrl: string; readonly timeoutMs: number },
): Promise<Fetched> => {
  const checked = messengerFileUrlCheck(file.url, options.graphUrl);
  if (!checked.ok) return { ok: false, url: null, contentType: null, size: null, reason: checked.reason };
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = checked.url;
  try {
    for (let redirects = 0; ; redirects++) {
      const response = await fetch(url, { redirect: "manual", signal, headers: { Accept: "*/*" } });
      if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
        void response.body?.cancel().catch(() => undefined);
        if (redirects >= MESSENGER_FILE_MAX_REDIRECTS) {
          return { ok: false, url, contentType: null, size: null, reason: `more than ${MESSENGER_FILE_MAX_REDIRECTS} redirects` };
        }
        const next = messengerFileUrlCheck(new URL(response.headers.get("location")!, url).href, options.graphUrl);
        if (!next.ok) return { ok: false, url, contentType: null, size: null, reason: `redirected to a URL that is not fetched: ${next.reason}` };
        url = next.url;
        continue;
      }
      const contentType = attachmentContentType(response.headers.get("content-type"));
      if (!response.ok) {
        void response.body?.cancel().catch(() => undefined);
        return { ok: false, url, contentType, size: null, reason: `the file's server answered ${response.status}` };
      }
      const declared = Number(response.headers.get("content-length") ?? "NaN");
      const size = Number.isSafeInteger(declared) && declared >= 0 ? declared : null;
      if (size !== null && size > cap) {
        void response.body?.cancel().catch(() => undefined);
        return { ok: false, url, contentType, size, reason: capReason };
      }
      const bytes = await readCapped(response.body, cap, signal);
      // A read cancelled by the timeout may end as if the body were complete: never keep a cut file.
      if (signal.aborted) return { ok: false, url, contentType, size: null, reason: `did not arrive within ${options.timeoutMs / 1000} s` };
      if (bytes === null) return { ok: false, url, contentType, size: null, reason: capReason };
      return { ok: true, url, contentType, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
  } catch (error) {
    return { ok: false, url, contentType: null, size: null, reason: describeError(error, options.timeoutMs) };
  }
};

/**
 * Fetches a message's files one after another, in order, and readies them to store: names and
 * types sanitised, hashed, a fresh id for each stored one. A file past the file count is not
 * fetched; a file that would take the message past its total is read only up to what is left
 * (a later, smaller one may still fit). Never fails: what could not be stored is listed with the
 * reason.
 */
export const messengerFetchFiles = (files: ReadonlyArray<MessengerInboundFile>, options: MessengerFetchOptions): Effect.Effect<MessengerFiles> =>
  files.length === 0
    ? Effect.succeed(messengerNoFiles)
    : Effect.promise(async () => {
        const limits = options.limits ?? attachmentLimits;
        const settings = { graphUrl: options.graphUrl, timeoutMs: options.timeoutMs ?? MESSENGER_FILE_TIMEOUT_MS };
        const makeId = options.makeId ?? attachmentNewId;
        const entries: MessengerFileEntry[] = [];
        const rows: AttachmentRow[] = [];
        let storedBytes = 0;
        for (const file of files.slice(0, ATTACHMENT_MAX_LISTED)) {
          // Named after the URL Messenger gave (a CDN's redirect target names its cache, not the file).
          const given = parsedOrNull(file.url);
          if (rows.length >= limits.maxFiles) {
            entries.push({
              name: messengerFileName(given, file.kind, ""),
              type: attachmentContentType(null),
              size: null,
              skipped: `too many files: only ${limits.maxFiles} are stored per message`,
            });
            continue;
          }
          const left = limits.maxMailBytes - storedBytes;
          const cap = Math.min(limits.maxFileBytes, left);
          const capReason =
            cap < limits.maxFileBytes
              ? `too large: the message's files pass ${megabytes(limits.maxMailBytes)} together`
              : `too large: over ${megabytes(limits.maxFileBytes)} per file`;
          const fetched = await fetchOne(file, cap, capReason, settings);
          const type = fetched.contentType ?? attachmentContentType(null);
          const name = messengerFileName(given, file.kind, type);
          if (!fetched.ok) {
            entries.push({ name, type, size: fetched.size, skipped: fetched.reason });
            continue;
          }
          const id = makeId();
          const size = fetched.data.length;
          storedBytes += size;
          entries.push({ id, name, type, size });
          rows.push({ id, filename: name, contentType: type, size, sha256: createHash("sha256").update(fetched.data).digest("hex"), data: fetched.data });
        }
        return { entries, rows };
      });
