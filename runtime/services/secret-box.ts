/**
 * Sealing small secrets at rest (two-factor TOTP secrets) with AES-256-GCM from node:crypto.
 *
 * The key is derived from SESSION_SECRET with HKDF-SHA256 and a purpose label, so it is never
 * the cookie-signing secret itself and another purpose gets another key. Each sealed value has
 * its own random 96-bit IV, and `context` (e.g. the user id) is bound as additional data: a
 * sealed value copied onto another user's row does not open. Format, all base64url:
 * `v1.<iv>.<ciphertext>.<tag>`.
 *
 * When SESSION_SECRET changes, values sealed under the old one no longer open (`open` returns
 * null): see docs/decisions/031-two-factor-sign-in.md for what that means and how to recover.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 256-bit key for `purpose`, derived from `sessionSecret` (HKDF-SHA256). Pure. */
export const deriveKey = (sessionSecret: string, purpose: string): Buffer =>
  Buffer.from(hkdfSync("sha256", sessionSecret, "parley-secret-box", purpose, 32));

/** `plaintext` sealed under `key`, bound to `context`. Random (a fresh IV each call). */
export const seal = (key: Buffer, context: string, plaintext: string): string => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64url"), body.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
};

/**
 * The plaintext of `sealed`, or null when it does not open: another key (SESSION_SECRET
 * changed), another `context`, a changed byte, or not a sealed value at all. Pure.
 */
export const open = (key: Buffer, context: string, sealed: string): string | null => {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) return null;
  const [, iv, body, tag] = parts as [string, string, string, string];
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    const authTag = Buffer.from(tag, "base64url");
    if (authTag.length !== TAG_BYTES) return null;
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
};
