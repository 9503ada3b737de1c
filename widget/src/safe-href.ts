/**
 * Links and images in messages come from flows and agents, i.e. from outside the page: only
 * schemes that cannot run script get through, and message text is split into text and links
 * so that nothing is ever parsed as HTML.
 */

const LINK_SCHEMES = new Set(["http:", "https:", "mailto:", "tel:"]);
const IMAGE_SCHEMES = new Set(["http:", "https:"]);

const parse = (raw: unknown, base: string | undefined): URL | null => {
  if (typeof raw !== "string" || raw.trim() === "") return null;
  try {
    return new URL(raw.trim(), base);
  } catch {
    return null;
  }
};

/**
 * The normalised href when `raw` is an http(s), mailto or tel URL (relative ones resolved
 * against `base`), else null — so `javascript:`, `data:` and `vbscript:` never reach an <a>. Pure.
 */
export const safeHref = (raw: unknown, base?: string): string | null => {
  const url = parse(raw, base);
  return url && LINK_SCHEMES.has(url.protocol) ? url.href : null;
};

/** The normalised URL when `raw` is an http(s) image address, else null. Pure. */
export const safeImageSrc = (raw: unknown, base?: string): string | null => {
  const url = parse(raw, base);
  return url && IMAGE_SCHEMES.has(url.protocol) ? url.href : null;
};

export type TextPart = { readonly kind: "text"; readonly text: string } | { readonly kind: "link"; readonly text: string; readonly href: string };

// A URL in running text: a scheme we allow, or a bare www. host. Stops at whitespace and at
// characters that cannot end a URL in prose.
const URL_IN_TEXT = /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"']+/gi;
const TRAILING = ".,;:!?)]}";

const count = (text: string, ch: string): number => text.split(ch).length - 1;

// Drops punctuation that ends the sentence rather than the URL, but keeps a ")" that closes a
// "(" opened inside the URL (Wikipedia-style links).
const trimUrl = (candidate: string): string => {
  let end = candidate.length;
  while (end > 0 && TRAILING.includes(candidate[end - 1])) {
    const head = candidate.slice(0, end);
    if (candidate[end - 1] === ")" && count(head, "(") >= count(head, ")")) break;
    end--;
  }
  return candidate.slice(0, end);
};

/**
 * Splits message text into plain parts and safe links (http, https, mailto, www.), in order;
 * joining every part's text gives back the input exactly. Pure.
 */
export const linkify = (text: string): ReadonlyArray<TextPart> => {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const candidate = trimUrl(match[0]);
    const href = safeHref(/^www\./i.test(candidate) ? `https://${candidate}` : candidate);
    const start = match.index ?? 0;
    if (!href || candidate.length === 0) continue;
    if (start > last) parts.push({ kind: "text", text: text.slice(last, start) });
    parts.push({ kind: "link", text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
};
