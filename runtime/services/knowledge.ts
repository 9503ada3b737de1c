/**
 * The knowledge base: help articles (Markdown) that marketers and admins write, visitors read
 * in the public help center (/help), and a bot's knowledge node searches with the visitor's
 * question (searchKnowledgeNow). Articles and their FTS5 index: migration 25.
 */
import type { Statement } from "./database.js";
import { articlePlainText } from "./knowledge-markdown.js";

/** One published article found for a visitor's question. `path` is "/help/articles/<id>". */
export interface KnowledgeHit {
  readonly id: string;
  readonly title: string;
  readonly excerpt: string;
  readonly path: string;
}

/** The help center's address of an article, relative to the app's public URL. Pure. */
export const articlePath = (id: string): string => `/help/articles/${encodeURIComponent(id)}`;

/** Characters of an excerpt at most, ellipses included. */
export const EXCERPT_MAX = 200;
/** Words of a question searched at most (the rest add little and cost a term each). */
const MAX_TERMS = 12;
/** Longer "words" are pasted tokens or noise, never what an article is about. */
const MAX_WORD = 40;

/**
 * Words that say nothing about what a visitor wants ("how do I …", "wie kann ich …"): a
 * question made only of them finds nothing instead of everything. English and German, folded
 * like the index folds (lower case, no diacritics). Also the parts of addresses in links.
 */
const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again all also am an and any are aren as at be because been before being below between both but by
  can cannot could couldn did didn do does doesn doing don down during each few for from further get gets got had hadn has
  hasn have haven having he her here hers herself him himself his how i if in into is isn it its itself just let ll me
  might more most must mustn my myself need no nor not now of off on once only or other ought our ours ourselves out over
  own please re same shall she should shouldn so some such than thank thanks that the their theirs them themselves then
  there these they this those through to too under until up us ve very want was wasn we were weren what when where which
  while who whom why will with won would wouldn you your yours yourself yourselves hi hello hey ok okay
  http https www com
  aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus bei bin bis
  bist da damit dann das dass dein deine deinem deinen deiner dem den denn der des dich die dies diese diesem diesen dieser
  dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer eure fur gegen gewesen habe haben
  hat hatte hier hin hinter ich ihm ihn ihr ihre ihrem ihren ihrer im in ist ja jede jedem jeden jeder jedes jetzt kann
  kein keine keinem keinen keiner konnen konnte machen man manche mein meine meinem meinen meiner mich mir mit muss musste
  nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner sich sie sind so solche soll sollte
  sondern sonst uber um und uns unser unsere unter viel vom von vor wann war waren warum was weil welche welchem welchen
  welcher welches wenn wer werde werden wie wieder will wir wird wo wollen wollte wurde wurden zu zum zur zwar zwischen
  bitte danke hallo`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Lower case without diacritics, as the index's unicode61 remove_diacritics 2 folds. Pure. */
const fold = (text: string): string => text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();

/** Letters and digits only: the characters unicode61 keeps in a token. */
const WORD = /[\p{L}\p{N}]+/gu;

/**
 * A visitor's words worth searching, folded, each with whether it is searched as a prefix: a
 * word of 4+ letters is, after a plural or -ing/-ed ending is dropped ("passwords" and
 * "exporting" find "password" and "export"). Stop words, single letters and runs of over 40 characters are dropped. Pure.
 */
export const searchTerms = (question: string): ReadonlyArray<{ readonly word: string; readonly prefix: boolean }> => {
  const seen = new Set<string>();
  const terms: Array<{ word: string; prefix: boolean }> = [];
  for (const match of fold(question).matchAll(WORD)) {
    const raw = match[0];
    if (raw.length < 2 || raw.length > MAX_WORD || STOP_WORDS.has(raw)) continue;
    const stem = raw.replace(/(?<=^.{4,})(ing|ed|es|s)$/u, "");
    const term = stem.endsWith("ss") || stem.length < 4 ? { word: raw, prefix: raw.length >= 4 } : { word: stem, prefix: true };
    const key = `${term.word}${term.prefix ? "*" : ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(term);
    if (terms.length >= MAX_TERMS) break;
  }
  return terms;
};

/**
 * An FTS5 MATCH expression for a visitor's free text: its meaningful words, each a quoted
 * phrase (letters and digits only, so nothing they type is FTS syntax), ORed. Undefined when
 * no meaningful word remains. Pure.
 */
export const knowledgeMatchExpression = (question: string): string | undefined => {
  const terms = searchTerms(question);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t.word}"${t.prefix ? "*" : ""}`).join(" OR ");
};

/**
 * Up to EXCERPT_MAX characters of `text` around the first word matching a term (or its start),
 * cut at word boundaries, with "…" where it was cut. Pure.
 */
export const excerptAround = (text: string, terms: ReadonlyArray<{ readonly word: string; readonly prefix: boolean }>, max = EXCERPT_MAX): string => {
  if (text.length <= max) return text;
  let at = 0;
  for (const match of text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    const word = fold(match[0]);
    if (terms.some((t) => (t.prefix ? word.startsWith(t.word) : word === t.word))) {
      at = match.index;
      break;
    }
  }
  // A little context before the word: start at a word boundary up to 60 characters earlier.
  let start = Math.max(0, at - 60);
  if (start > 0) {
    const space = text.indexOf(" ", start);
    start = space === -1 || space >= at ? at : space + 1;
  }
  const lead = start > 0 ? "…" : "";
  const room = max - lead.length;
  let piece = text.slice(start, start + room);
  if (start + room < text.length) {
    piece = piece.slice(0, room - 1);
    const space = piece.lastIndexOf(" ");
    if (space > room / 2) piece = piece.slice(0, space);
    piece = `${piece.trimEnd()}…`;
  }
  return lead + piece;
};

/** Hits scoring below this share of the best hit's score are left out: a passing mention is no answer. */
const RELATIVE_CUTOFF = 0.2;

/**
 * Published articles best matching a visitor's free text, best first; [] when nothing matches
 * well enough. Title matches weigh 8× body matches (bm25). Synchronous: reads through the
 * Database service's prepare().
 */
export const searchKnowledgeNow = (
  db: { readonly prepare: (sql: string) => Statement },
  query: string,
  limit: number,
): ReadonlyArray<KnowledgeHit> => {
  const match = knowledgeMatchExpression(query);
  if (match === undefined) return [];
  const count = Math.min(Math.max(Math.trunc(Number.isFinite(limit) ? limit : 1), 1), 20);
  const rows = db
    .prepare(
      `SELECT a.id, a.title, a.body, bm25(knowledge_fts, 8.0, 1.0) AS score
         FROM knowledge_fts JOIN knowledge_articles a ON a.seq = knowledge_fts.rowid
        WHERE knowledge_fts MATCH ? AND a.status = 'published'
        ORDER BY score LIMIT ?`,
    )
    .all(match, count) as Array<{ id: string; title: string; body: string; score: number }>;
  if (rows.length === 0) return [];
  const terms = searchTerms(query);
  // bm25 is negative: the more relevant, the lower.
  const best = rows[0]!.score;
  return rows
    .filter((row) => row.score <= best * RELATIVE_CUTOFF)
    .map((row) => ({ id: row.id, title: row.title, excerpt: excerptAround(articlePlainText(row.body), terms), path: articlePath(row.id) }));
};
