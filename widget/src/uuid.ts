/** Client message ids: one random UUID per message the visitor sends, reused on retry. */

type CryptoLike = { randomUUID?: () => string; getRandomValues?: <T extends Uint8Array>(array: T) => T } | undefined;

/**
 * A random RFC 4122 version-4 UUID: `crypto.randomUUID` where it exists (secure contexts),
 * else built from `getRandomValues` (plain-http pages), else from Math.random as a last resort.
 */
export const randomUuid = (source: CryptoLike = globalThis.crypto): string => {
  if (typeof source?.randomUUID === "function") return source.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof source?.getRandomValues === "function") source.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
