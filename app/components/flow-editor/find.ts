/**
 * "Find a step": which steps (and canvas notes) match what was typed in the toolbar's search
 * box. A step matches on its id, label, kind title and every text it holds (message bubbles,
 * question prompt, choice labels, webhook URL, code…), plus what its card shows (team and
 * user names instead of ids, from node-summary.ts); a note on its text. Each match can also say
 * where it matched: a short snippet of the text, the query's words marked (plain text parts,
 * for the find box's list to draw as text nodes). Pure.
 */
import type { DocumentNode, DocumentNote, FlowDocument } from "../../../flows/flow-document.js";
import { nodeRegistry } from "./node-registry.js";
import { summarize, type NameLookup } from "./node-summary.js";

export interface FindMatch {
  readonly id: string;
  readonly type: "step" | "note";
  /** How the match is named in the toolbar: `Question “Ask budget”`, `Note “Budget rules…”`. */
  readonly title: string;
  /** The step's label (else its id), or the note's first words. */
  readonly name: string;
  /** The step kind's title ("Question"), or "Note". */
  readonly kind: string;
}

/** A piece of a snippet; `hit` pieces are where a word of the query matched. */
export interface SnippetPart {
  readonly text: string;
  readonly hit: boolean;
}

/** Every string in `value` (a node's data), depth first; object keys are left out. */
const collectStrings = (value: unknown, out: string[], depth = 0): void => {
  if (depth > 12) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out, depth + 1);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) collectStrings(item, out, depth + 1);
};

interface Haystack {
  readonly names: NameLookup;
  /** What the step holds and its card shows, then its label, id and kind title: the order a snippet is looked for in. */
  readonly texts: ReadonlyArray<string>;
  readonly text: string;
}

// Per node object (documents are immutable, so an unchanged node keeps its text), per lookup.
const haystacks = new WeakMap<DocumentNode, Haystack>();

const haystackOf = (node: DocumentNode, names: NameLookup): Haystack => {
  const cached = haystacks.get(node);
  if (cached && cached.names === names) return cached;
  const texts: string[] = [];
  collectStrings(node.data, texts);
  const summary = summarize(node.kind, node.data, names);
  for (const line of summary.lines) texts.push(line.text);
  texts.push(...summary.chips, node.label ?? "", node.id, nodeRegistry[node.kind].title);
  const haystack = { names, texts, text: texts.join("\n").toLowerCase() };
  haystacks.set(node, haystack);
  return haystack;
};

/** The lower-cased text a step is searched in. Pure (memoized per node object). */
export const stepSearchText = (node: DocumentNode, names: NameLookup): string => haystackOf(node, names).text;

/** A query's words, lower-cased. Pure. */
const wordsOf = (query: string) => query.toLowerCase().split(/\s+/).filter((w) => w !== "");

const shorten = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const stepTitle = (node: DocumentNode) => `${nodeRegistry[node.kind].title} “${node.label ?? node.id}”`;
const noteTitle = (note: DocumentNote) => `Note “${shorten(note.text, 30) || note.id}”`;

/**
 * The steps, then the notes, of `document` whose text holds every word of `query` (case
 * insensitive), in document order. A blank query matches nothing. Pure.
 */
export const findSteps = (document: FlowDocument, query: string, names: NameLookup): ReadonlyArray<FindMatch> => {
  const words = wordsOf(query);
  if (words.length === 0) return [];
  const matches: FindMatch[] = [];
  for (const node of document.nodes) {
    const text = stepSearchText(node, names);
    if (words.every((w) => text.includes(w))) {
      matches.push({ id: node.id, type: "step", title: stepTitle(node), name: node.label ?? node.id, kind: nodeRegistry[node.kind].title });
    }
  }
  for (const note of document.notes ?? []) {
    const text = `${note.id}\n${note.text}`.toLowerCase();
    if (words.every((w) => text.includes(w))) matches.push({ id: note.id, type: "note", title: noteTitle(note), name: shorten(note.text, 30) || note.id, kind: "Note" });
  }
  return matches;
};

/** Characters a snippet shows at most, and how many of them come before the first marked word. */
const SNIPPET_CHARS = 72;
const SNIPPET_LEAD = 20;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Where `query` matched in `texts`: the text (whitespace collapsed) holding the most of its
 * words — the first such one — cut to about 72 characters around the first of them, with an
 * ellipsis where it was cut, as parts in which every word of the query is a `hit`. Empty when no
 * word is in any text. Pure.
 */
export const snippetOf = (texts: ReadonlyArray<string>, query: string, max = SNIPPET_CHARS): ReadonlyArray<SnippetPart> => {
  const words = wordsOf(query);
  if (words.length === 0) return [];
  // Longest first, so "budget" is marked whole when "bud" is a word too.
  const pattern = new RegExp([...words].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "giu");
  let best: { readonly flat: string; readonly hits: ReadonlyArray<readonly [number, number]>; readonly found: number } | undefined;
  for (const text of texts) {
    const flat = text.replace(/\s+/g, " ").trim();
    const hits = [...flat.matchAll(pattern)].map((m) => [m.index, m.index + m[0].length] as const);
    if (hits.length === 0) continue;
    const lower = flat.toLowerCase();
    const found = words.filter((w) => lower.includes(w)).length;
    if (best === undefined || found > best.found) best = { flat, hits, found };
  }
  if (best === undefined) return [];
  const { flat, hits } = best;
  const start = flat.length <= max ? 0 : Math.max(0, Math.min(hits[0]![0] - SNIPPET_LEAD, flat.length - max));
  const end = Math.min(flat.length, start + max);
  const parts: SnippetPart[] = [];
  const push = (text: string, hit: boolean) => {
    if (text !== "") parts.push({ text, hit });
  };
  let at = start;
  for (const [from, to] of hits) {
    if (to <= start || from >= end) continue;
    push(flat.slice(at, Math.max(at, from)), false);
    push(flat.slice(Math.max(at, from), Math.min(to, end)), true);
    at = Math.min(to, end);
  }
  push(flat.slice(at, end), false);
  if (start > 0) parts.unshift({ text: "…", hit: false });
  if (end < flat.length) parts.push({ text: "…", hit: false });
  return parts;
};

/** The snippet of a match (see `snippetOf`): a step's texts, a note's text. Pure. */
export const matchSnippet = (document: FlowDocument, match: FindMatch, query: string, names: NameLookup): ReadonlyArray<SnippetPart> => {
  if (match.type === "note") {
    const note = document.notes?.find((n) => n.id === match.id);
    return note ? snippetOf([note.text, note.id], query) : [];
  }
  const node = document.nodes.find((n) => n.id === match.id);
  return node ? snippetOf(haystackOf(node, names).texts, query) : [];
};

/** The match after (`step` 1) or before (-1) `current`, wrapping around; -1 when there is none. Pure. */
export const nextMatch = (current: number, count: number, step: 1 | -1): number =>
  count === 0 ? -1 : current < 0 ? (step === 1 ? 0 : count - 1) : (current + step + count) % count;
