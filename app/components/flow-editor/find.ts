/**
 * "Find a step": which steps (and canvas notes) match what was typed in the toolbar's search
 * box. A step matches on its id, label, kind title and every text it holds (message bubbles,
 * question prompt, choice labels, webhook URL, code…), plus what its card shows (team and
 * user names instead of ids, from node-summary.ts); a note on its text. Pure.
 */
import type { DocumentNode, DocumentNote, FlowDocument } from "../../../flows/flow-document.js";
import { nodeRegistry } from "./node-registry.js";
import { summarize, type NameLookup } from "./node-summary.js";

export interface FindMatch {
  readonly id: string;
  readonly type: "step" | "note";
  /** How the match is named in the toolbar: `Question “Ask budget”`, `Note “Budget rules…”`. */
  readonly title: string;
}

/** Every string in `value` (a node's data), depth first; object keys are left out. */
const collectStrings = (value: unknown, out: string[], depth = 0): void => {
  if (depth > 12) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out, depth + 1);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) collectStrings(item, out, depth + 1);
};

// Per node object (documents are immutable, so an unchanged node keeps its text), per lookup.
const haystacks = new WeakMap<DocumentNode, { readonly names: NameLookup; readonly text: string }>();

/** The lower-cased text a step is searched in. Pure (memoized per node object). */
export const stepSearchText = (node: DocumentNode, names: NameLookup): string => {
  const cached = haystacks.get(node);
  if (cached && cached.names === names) return cached.text;
  const parts: string[] = [node.id, node.label ?? "", nodeRegistry[node.kind].title];
  collectStrings(node.data, parts);
  const summary = summarize(node.kind, node.data, names);
  for (const line of summary.lines) parts.push(line.text);
  parts.push(...summary.chips);
  const text = parts.join("\n").toLowerCase();
  haystacks.set(node, { names, text });
  return text;
};

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
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return [];
  const matches: FindMatch[] = [];
  for (const node of document.nodes) {
    const text = stepSearchText(node, names);
    if (words.every((w) => text.includes(w))) matches.push({ id: node.id, type: "step", title: stepTitle(node) });
  }
  for (const note of document.notes ?? []) {
    const text = `${note.id}\n${note.text}`.toLowerCase();
    if (words.every((w) => text.includes(w))) matches.push({ id: note.id, type: "note", title: noteTitle(note) });
  }
  return matches;
};

/** The match after (`step` 1) or before (-1) `current`, wrapping around; -1 when there is none. Pure. */
export const nextMatch = (current: number, count: number, step: 1 | -1): number =>
  count === 0 ? -1 : current < 0 ? (step === 1 ? 0 : count - 1) : (current + step + count) % count;
