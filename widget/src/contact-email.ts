/**
 * The away view's "Or email us at …" line. The address comes from the server's config (an
 * admin's setting), so it is treated as text: it becomes a mailto link only when it looks like
 * one address, and the language's sentence is split around its `{email}` slot so the view builds
 * the line from text nodes and one <a>, never from markup.
 */
import { looksLikeEmail } from "./validate.js";

// With looksLikeEmail, the server's own test for an address (runtime/services/contacts.ts), plus
// no control characters: what could end an address in a header or a list, or start markup.
const NOT_IN_ADDRESS = /[<>()[\],;:"\\\u0000-\u001f\u007f]/;

/** True when `value` is one email address a visitor may be offered. Pure. */
export const isContactAddress = (value: unknown): value is string => typeof value === "string" && looksLikeEmail(value) && !NOT_IN_ADDRESS.test(value);

/**
 * A mailto URL for `address`: each side of the @ percent-encoded, so characters an address may
 * hold but a URL reads as syntax (`?`, `&`, `#`, `%`) cannot add a subject, a cc or a body. Pure.
 */
export const mailtoHref = (address: string): string => {
  const at = address.lastIndexOf("@");
  return `mailto:${encodeURIComponent(address.slice(0, at))}@${encodeURIComponent(address.slice(at + 1))}`;
};

export interface ContactLine {
  readonly before: string;
  readonly address: string;
  readonly href: string;
  readonly after: string;
}

/**
 * The parts of the line `template` (with an `{email}` slot) says for `address`, or null when
 * there is no address to offer (none configured, an older server, or not an address). A
 * template without the slot gets the address at its end. Pure.
 */
export const contactLine = (template: string, address: unknown): ContactLine | null => {
  if (!isContactAddress(address)) return null;
  const slot = template.indexOf("{email}");
  const before = slot < 0 ? `${template} ` : template.slice(0, slot);
  const after = slot < 0 ? "" : template.slice(slot + "{email}".length);
  return { before, address, href: mailtoHref(address), after };
};
