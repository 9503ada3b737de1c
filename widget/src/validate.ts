/**
 * Checks on what the host page passes to the JS API and what the visitor types into the away
 * form. A bad call gets a message naming the field, never a thrown error (it is someone
 * else's page).
 */

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly path: string; readonly message: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HMAC_HEX = /^[0-9a-f]{64}$/i;

/** True for something shaped like an email address (the server decides for real). Pure. */
export const looksLikeEmail = (value: string): boolean => value.length <= 254 && EMAIL.test(value);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export interface IdentifyInput {
  readonly email: string;
  readonly name?: string;
  readonly hash: string;
}

/** Checks `Parley.identify({ email, name?, hash })`; paths start at `identify`. Pure. */
export const checkIdentify = (input: unknown): Checked<IdentifyInput> => {
  if (!isPlainObject(input)) return { ok: false, path: "identify", message: "expected an object { email, name?, hash }" };
  const { email, name, hash } = input;
  if (typeof email !== "string" || !looksLikeEmail(email.trim())) return { ok: false, path: "identify.email", message: "expected an email address" };
  if (name !== undefined && (typeof name !== "string" || name.length > 200)) return { ok: false, path: "identify.name", message: "expected a string of at most 200 characters" };
  if (typeof hash !== "string" || !HMAC_HEX.test(hash)) {
    return { ok: false, path: "identify.hash", message: "expected the hex HMAC-SHA256 of the email (64 characters), computed on your server with the channel's identity secret" };
  }
  return { ok: true, value: { email: email.trim(), ...(name === undefined ? {} : { name }), hash: hash.toLowerCase() } };
};

export type AttributeValue = string | number | boolean;

/** Checks `Parley.setAttributes({ key: string | number | boolean })`; at most 100 keys. Pure. */
export const checkAttributes = (input: unknown): Checked<Readonly<Record<string, AttributeValue>>> => {
  if (!isPlainObject(input)) return { ok: false, path: "setAttributes", message: "expected an object of attributes" };
  const entries = Object.entries(input);
  if (entries.length === 0) return { ok: false, path: "setAttributes", message: "expected at least one attribute" };
  if (entries.length > 100) return { ok: false, path: "setAttributes", message: "expected at most 100 attributes" };
  for (const [key, value] of entries) {
    if (key.length > 100) return { ok: false, path: `setAttributes.${key.slice(0, 20)}…`, message: "expected a key of at most 100 characters" };
    const fine = typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && value.length <= 1000);
    if (!fine) return { ok: false, path: `setAttributes.${key}`, message: "expected a string (≤ 1000 characters), a finite number or a boolean" };
  }
  return { ok: true, value: input as Record<string, AttributeValue> };
};

/** Field problems in the away form, as string keys of the widget's language files. Pure. */
export const checkAwayForm = (email: string, text: string): { readonly email?: "invalidEmail"; readonly text?: "emptyMessage" } => ({
  ...(looksLikeEmail(email.trim()) ? {} : { email: "invalidEmail" as const }),
  ...(text.trim() === "" ? { text: "emptyMessage" as const } : {}),
});
