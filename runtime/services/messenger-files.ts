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
 * - Time: a message's files are fetched MESSENGER_FILE_CONCURRENCY at a time (a message of
 *   several slow files must not outlast Facebook's ~20 s webhook timeout, which would only bring
 *   a redelivery), all within MESSENGER_FILES_DEADLINE_MS together; they keep the message's order.
 * - A file that cannot be stored — a bad URL, a timeout, an HTTP error, too large, not fetched
 *   by the deadline — is listed with `skipped: <reason>` and no id; the message is stored all the
 *   same (a message is never lost for its file).
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
/** How many of a message's files are fetched at once: enough to overlap slow ones, few enough to be gentle on Meta's CDN and on memory. */
export const MESSENGER_FILE_CONCURRENCY = 3;
/**
 * How long all of a message's files may take together: Facebook gives up on a webhook call after
 * about 20 s (and sends it again), so the files stop in time for the message to be stored and
 * answered within it. What is not fetched by then is listed with the reason.
 */
export const MESSENGER_FILES_DEADLINE_MS = 15_000;

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

/** Options for fetching (parameters so tests can use a short timeout, deadline and small limits). */
export interface MessengerFetchOptions {
  readonly graphUrl: string;
  /** Per file, redirects included (MESSENGER_FILE_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** For all of the message's files together (MESSENGER_FILES_DEADLINE_MS). */
  readonly deadlineMs?: number;
  readonly limits?: AttachmentLimits;
  readonly makeId?: () => string;
}

type Fetched =
  | { readonly ok: true; readonly url: URL; readonly contentType: string; readonly data: Buffer }
  | { readonly ok: false; readonly url: URL | null; readonly contentType: string | null; readonly size: number | null; readonly reason: string };

/** Why a file was not stored when its own time or the message's ran out. Pure. */
const lateReason = (deadline: AbortSignal, options: { readonly timeoutMs: number; readonly deadlineMs: number }): string =>
  deadline.aborted
    ? `did not arrive within the ${options.deadlineMs / 1000} s a message's files may take together`
    : `did not arrive within ${options.timeoutMs / 1000} s`;

const describeError = (error: unknown, deadline: AbortSignal, options: { readonly timeoutMs: number; readonly deadlineMs: number }): string => {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return lateReason(deadline, options);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `could not be fetched (${error instanceof Error ? error.message : String(error)}${cause})`;
};

/** Fetches one file within `cap` bytes, its timeout and the message's deadline; never rejects (a failure is a reason). */
const fetchOne = async (
  file: MessengerInboundFile,
  cap: number,
  capReason: string,
  deadline: AbortSignal,
  options: { readonly graphUrl: string; readonly timeoutMs: number; readonly deadlineMs: number },
): Promise<Fetched> => {
  const checked = messengerFileUrlCheck(file.url, options.graphUrl);
  if (!checked.ok) return { ok: false, url: null, contentType: null, size: null, reason: checked.reason };
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), deadline]);
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
      if (signal.aborted) return { ok: false, url, contentType, size: null, reason: lateReason(deadline, options) };
      if (bytes === null) return { ok: false, url, contentType, size: null, reason: capReason };
      return { ok: true, url, contentType, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
  } catch (error) {
    return { ok: false, url, contentType: null, size: null, reason: describeError(error, deadline, options) };
  }
};

/** A file's entry and, when it is stored, its row. */
type Outcome = { readonly entry: MessengerFileEntry; readonly row: AttachmentRow | null };

/**
 * Fetches a message's files MESSENGER_FILE_CONCURRENCY at a time, all within the deadline, and
 * readies them to store in the message's order: names and types sanitised, hashed, a fresh id
 * for each stored one. A file is not fetched once as many files are stored or on their way as a
 * message may keep, nor once the files stored so far fill the message's total (a file that would
 * take the total over is read only up to what is left when it starts); the total is checked
 * again in order once all have arrived, so files fetched side by side never pass it together and
 * an earlier file wins over a later one. A file not started by the deadline is not fetched, one
 * on its way then is cut off; both are listed as late. Never fails: what could not be stored is
 * listed with the reason.
 */
export const messengerFetchFiles = (files: ReadonlyArray<MessengerInboundFile>, options: MessengerFetchOptions): Effect.Effect<MessengerFiles> => {
  if (files.length === 0) return Effect.succeed(messengerNoFiles);
  const limits = options.limits ?? attachmentLimits;
  const settings = {
    graphUrl: options.graphUrl,
    timeoutMs: options.timeoutMs ?? MESSENGER_FILE_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? MESSENGER_FILES_DEADLINE_MS,
  };
  const makeId = options.makeId ?? attachmentNewId;
  const totalReason = `too large: the message's files pass ${megabytes(limits.maxMailBytes)} together`;
  const countReason = `too many files: only ${limits.maxFiles} are stored per message`;
  return Effect.suspend(() => {
    // Made when the fetching starts, not when the effect is built.
    const deadline = AbortSignal.timeout(settings.deadlineMs);
    // Shared by the fetches running side by side; each reads and changes them only between awaits.
    let fetchedBytes = 0;
    let taken = 0;

    const one = (file: MessengerInboundFile): Effect.Effect<Outcome> =>
      Effect.promise(async (): Promise<Outcome> => {
        // Named after the URL Messenger gave (a CDN's redirect target names its cache, not the file).
        const given = parsedOrNull(file.url);
        const skip = (reason: string): Outcome => ({
          entry: { name: messengerFileName(given, file.kind, ""), type: attachmentContentType(null), size: null, skipped: reason },
          row: null,
        });
        if (deadline.aborted) return skip(`not fetched: a message's files may take ${settings.deadlineMs / 1000} s together`);
        if (taken >= limits.maxFiles) return skip(countReason);
        const left = limits.maxMailBytes - fetchedBytes;
        // The files fetched so far fill the message: nothing more would be kept.
        if (left <= 0) return skip(totalReason);
        const cap = Math.min(limits.maxFileBytes, left);
        const capReason = cap < limits.maxFileBytes ? totalReason : `too large: over ${megabytes(limits.maxFileBytes)} per file`;
        taken += 1;
        const fetched = await fetchOne(file, cap, capReason, deadline, settings);
        const type = fetched.contentType ?? attachmentContentType(null);
        const name = messengerFileName(given, file.kind, type);
        if (!fetched.ok) {
          // Its place is free again for a later file.
          taken -= 1;
          return { entry: { name, type, size: fetched.size, skipped: fetched.reason }, row: null };
        }
        const size = fetched.data.length;
        fetchedBytes += size;
        const row = { id: "", filename: name, contentType: type, size, sha256: createHash("sha256").update(fetched.data).digest("hex"), data: fetched.data };
        return { entry: { name, type, size }, row };
      });

    return Effect.map(
      Effect.forEach(files.slice(0, ATTACHMENT_MAX_LISTED), one, { concurrency: MESSENGER_FILE_CONCURRENCY }),
      (outcomes): MessengerFiles => {
        const entries: MessengerFileEntry[] = [];
        const rows: AttachmentRow[] = [];
        let storedBytes = 0;
        for (const { entry, row } of outcomes) {
          if (row === null) {
            entries.push(entry);
          } else if (storedBytes + row.size > limits.maxMailBytes) {
            entries.push({ name: entry.name, type: entry.type, size: entry.size, skipped: totalReason });
          } else if (rows.length >= limits.maxFiles) {
            entries.push({ name: entry.name, type: entry.type, size: entry.size, skipped: countReason });
          } else {
            const id = makeId();
            storedBytes += row.size;
            entries.push({ id, ...entry });
            rows.push({ ...row, id });
          }
        }
        return { entries, rows };
      },
    );
  });
};
