/**
 * Files in the chat: which a visitor may send (checked before a byte is uploaded), how a file's
 * size reads, which are shown as a thumbnail, and the blob: URLs files are shown through — each
 * file is fetched once with the visitor token in a header (never in a URL) and its URL revoked
 * when the widget resets.
 */
import type { Attachment } from "./types.js";

/** Largest file a visitor may send (bytes): the server's limit (ATTACHMENT_CHAT_UPLOAD_MAX_BYTES), checked here first to spare the upload. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Why a picked file is not sent, or null when it may go. Pure. */
export const fileRefusal = (file: { readonly size: number }, max = MAX_FILE_BYTES): "empty" | "tooLarge" | null =>
  file.size === 0 ? "empty" : file.size > max ? "tooLarge" : null;

/** A size as people read it: "512 B", "1.5 KB", "10 MB" (one decimal at most, in the language's digits). Pure. */
export const sizeLabel = (bytes: number, language = "en"): string => {
  const units = ["B", "KB", "MB", "GB"];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
  return `${number} ${units[unit]}`;
};

const THUMBNAIL_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** True for the plain raster images shown as a thumbnail (the server serves these as themselves). Pure. */
export const isThumbnail = (attachment: Pick<Attachment, "type">): boolean => THUMBNAIL_TYPES.has(attachment.type);

/** The well-formed entries of a message's `attachments` (anything else → none). Pure. */
export const attachmentsOf = (value: unknown): ReadonlyArray<Attachment> =>
  Array.isArray(value)
    ? value.filter(
        (a): a is Attachment =>
          typeof a === "object" && a !== null && typeof a.id === "string" && a.id !== "" && typeof a.name === "string" && typeof a.type === "string" && typeof a.size === "number",
      )
    : [];

/** blob: URLs of fetched files, one fetch per file id. */
export interface FileUrls {
  readonly url: (id: string) => Promise<string>;
  /** Revokes every URL handed out and forgets them (the widget's reset). */
  readonly revokeAll: () => void;
}

/**
 * Fetches each file once (`fetchBlob`) and hands out its blob: URL; a failed fetch is forgotten,
 * so the next look tries again. `create`/`revoke` are URL.createObjectURL/revokeObjectURL.
 */
export const createFileUrls = (
  fetchBlob: (id: string) => Promise<Blob>,
  create: (blob: Blob) => string = (blob) => URL.createObjectURL(blob),
  revoke: (url: string) => void = (url) => URL.revokeObjectURL(url),
): FileUrls => {
  let urls = new Map<string, Promise<string>>();
  return {
    url: (id) => {
      let url = urls.get(id);
      if (!url) {
        const forThese = urls;
        // One still loading at a reset is revoked as soon as it is made (revokeAll waits for it).
        url = fetchBlob(id).then(
          (blob) => create(blob),
          (error: unknown) => {
            forThese.delete(id);
            throw error;
          },
        );
        urls.set(id, url);
      }
      return url;
    },
    revokeAll: () => {
      const old = urls;
      urls = new Map();
      for (const url of old.values()) url.then(revoke, () => {});
    },
  };
};
