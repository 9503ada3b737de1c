/**
 * The knowledge base: help articles (Markdown) that marketers and admins write, visitors read
 * in the public help center (/help), and a bot's knowledge node searches with the visitor's
 * question (searchKnowledgeNow). Articles and their FTS5 index: migration 25.
 *
 * Who: admins and marketers write, publish and delete; every signed-in role reads the list
 * and drafts (agents link articles in replies); visitors read published articles only.
 * Edits carry the version they were made on: a stale one is a Conflict, never a lost edit.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape, type Statement } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { decodeInput, ftsQuery, invalid, type Actor } from "./inbox-access.js";
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

// ---------------------------------------------------------------------------------------------
// The service: articles as the team keeps them.

export const MAX_TITLE = 200;
/** An article's Markdown at most, in bytes of UTF-8 (the table checks the same). */
export const MAX_BODY_BYTES = 100 * 1024;
/** Articles per page of the management list. */
export const PAGE_SIZE = 25;
/** Published articles the help center's front page lists at most. */
export const MAX_PUBLISHED_LISTED = 200;

export const articleStatuses = ["draft", "published"] as const;
export type ArticleStatus = (typeof articleStatuses)[number];

const utf8 = new TextEncoder();

/** draft or published (or "" for "any", where `any` allows it), with one message for anything else. */
const StatusField = <Any extends boolean>(any: Any) =>
  S.String.pipe(
    S.filter(
      (value): value is Any extends true ? ArticleStatus | "" : ArticleStatus =>
        (any && value === "") || (articleStatuses as ReadonlyArray<string>).includes(value),
      { message: () => "the status is draft or published" },
    ),
  );

/** An article as its author writes it. */
export const ArticleInput = S.Struct({
  title: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a title" }),
    S.maxLength(MAX_TITLE, { message: () => `a title is at most ${MAX_TITLE} characters` }),
  ),
  body: S.String.pipe(
    S.filter((body) => utf8.encode(body).length <= MAX_BODY_BYTES, {
      message: () => `an article is at most ${MAX_BODY_BYTES / 1024} KB of text`,
    }),
  ),
});
export type ArticleInput = typeof ArticleInput.Type;

/** The version a change was made on: a number, or its digits as a form sends them. */
const ExpectedVersion = S.Union(S.Number, S.NumberFromString).pipe(
  S.int({ message: () => "the article's version is a whole number from 1" }),
  S.greaterThanOrEqualTo(1, { message: () => "the article's version is a whole number from 1" }),
);

/** An edit of title and body, made on the article's `version`. */
export const ArticleUpdate = S.Struct({ ...ArticleInput.fields, version: ExpectedVersion });

/** Publishing or unpublishing, made on the article's `version`. */
export const ArticleStatusChange = S.Struct({
  status: StatusField(false),
  version: ExpectedVersion,
});

/** The management list's filters, as a query string gives them (every field optional). */
export const ArticleFilter = S.Struct({
  q: S.optional(S.String.pipe(S.maxLength(200, { message: () => "a search is at most 200 characters" }))),
  status: S.optional(StatusField(true)),
  page: S.optional(
    S.NumberFromString.pipe(
      S.int({ message: () => "a page is a whole number from 1" }),
      S.between(1, 10_000, { message: () => "a page is a whole number from 1" }),
    ),
  ),
});
export type ArticleFilter = typeof ArticleFilter.Type;

/** Hits the help center's search shows at most. */
export const HELP_SEARCH_LIMIT = 10;

/** The help center's search, as its query string gives it. */
export const HelpSearch = S.Struct({
  q: S.String.pipe(S.maxLength(200, { message: () => "a search is at most 200 characters" })),
});

export interface Article {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly status: ArticleStatus;
  readonly version: number;
  readonly authorName: string | null;
  readonly updatedByName: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly publishedAt: number | null;
}

export interface ArticleListItem {
  readonly id: string;
  readonly title: string;
  readonly status: ArticleStatus;
  readonly updatedAt: number;
  readonly updatedByName: string | null;
}

export interface ArticleList {
  readonly articles: ReadonlyArray<ArticleListItem>;
  readonly page: number;
  readonly hasMore: boolean;
  /** Articles of each status (regardless of the status filter; with the search). */
  readonly counts: Readonly<Record<ArticleStatus, number>>;
}

/** A published article as the help center shows it. */
export interface PublishedArticle {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  /** Plain text of the article's start, for a list entry or a page's meta description. */
  readonly excerpt: string;
  readonly updatedAt: number;
}

export interface KnowledgeShape {
  /** The management list (every signed-in role), newest change first or best match first when searching. */
  readonly list: (actor: Actor, filter: unknown) => Effect.Effect<ArticleList, Forbidden | InvalidInput>;
  /** One article, draft or published (every signed-in role). */
  readonly get: (actor: Actor, id: string) => Effect.Effect<Article, Forbidden | NotFound>;
  /** A new draft (admins and marketers), decoded by ArticleInput. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<Article, Forbidden | InvalidInput>;
  /** Rewrites title and body (ArticleUpdate); Conflict when the version is stale. */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<Article, Forbidden | InvalidInput | NotFound | Conflict>;
  /** Publishes or unpublishes (ArticleStatusChange); Conflict when the version is stale. An empty article cannot be published. */
  readonly setStatus: (actor: Actor, id: string, input: unknown) => Effect.Effect<Article, Forbidden | InvalidInput | NotFound | Conflict>;
  /** Deletes one (admins and marketers). */
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
  /** The help center's front page: published articles by title (no sign-in). */
  readonly listPublished: () => Effect.Effect<ReadonlyArray<PublishedArticle>>;
  /** One published article; NotFound for drafts and unknown ids alike (no sign-in). */
  readonly getPublished: (id: string) => Effect.Effect<PublishedArticle, NotFound>;
  /** The help center's search (HelpSearch, from its query string): the bot's search, at most HELP_SEARCH_LIMIT hits. */
  readonly search: (input: unknown) => Effect.Effect<ReadonlyArray<KnowledgeHit>, InvalidInput>;
}

export class Knowledge extends Context.Tag("Knowledge")<Knowledge, KnowledgeShape>() {}

/** The roles that write, publish and delete articles. */
export const knowledgeEditors: ReadonlyArray<string> = ["admin", "marketer"];
/** The roles that read the management list and drafts. */
export const knowledgeReaders: ReadonlyArray<string> = ["admin", "marketer", "agent", "analyst"];

const mayEdit = (actor: Actor) =>
  knowledgeEditors.includes(actor.role)
    ? Effect.void
    : Effect.fail(new Forbidden({ message: "Only admins and marketers can change knowledge-base articles." }));
const mayRead = (actor: Actor) =>
  knowledgeReaders.includes(actor.role) ? Effect.void : Effect.fail(new Forbidden({ message: "Your role cannot open the knowledge base." }));

interface ArticleRow {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly status: ArticleStatus;
  readonly version: number;
  readonly author_name: string | null;
  readonly updated_by_name: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly published_at: number | null;
}

const ARTICLE_SELECT = `SELECT a.id, a.title, a.body, a.status, a.version, COALESCE(au.display_name, au.name) AS author_name,
  COALESCE(ub.display_name, ub.name) AS updated_by_name, a.created_at, a.updated_at, a.published_at
  FROM knowledge_articles a LEFT JOIN users au ON au.id = a.author_id LEFT JOIN users ub ON ub.id = a.updated_by`;

const toArticle = (row: ArticleRow): Article => ({
  id: row.id,
  title: row.title,
  body: row.body,
  status: row.status,
  version: row.version,
  authorName: row.author_name,
  updatedByName: row.updated_by_name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  publishedAt: row.published_at,
});

const toPublished = (row: { id: string; title: string; body: string; updated_at: number }): PublishedArticle => ({
  id: row.id,
  title: row.title,
  body: row.body,
  excerpt: excerptAround(articlePlainText(row.body), []),
  updatedAt: row.updated_at,
});

const staleMessage = "Someone else changed this article first. The page shows it as it is now: check it, then make your change again.";

/** The Knowledge service over an open database (exported for tests). */
export const makeKnowledge = (db: DatabaseShape): KnowledgeShape => {
  const prepare = db.prepare;
  const read = (id: string) => prepare(`${ARTICLE_SELECT} WHERE a.id = ?`).get(id) as ArticleRow | undefined;
  const found = (id: string): Effect.Effect<Article, NotFound> =>
    Effect.suspend(() => {
      const row = read(id);
      return row ? Effect.succeed(toArticle(row)) : Effect.fail(new NotFound({ entity: "article", id }));
    });

  /** Runs `UPDATE … WHERE id = ? AND version = ?`; a stale version is a Conflict carrying the article as it is. */
  const versioned = (id: string, version: number, run: () => number): Effect.Effect<Article, NotFound | Conflict> =>
    Effect.gen(function* () {
      const changes = yield* Effect.orDie(db.writeEffect(run));
      const now = yield* found(id);
      if (changes === 0 && now.version !== version) return yield* Effect.fail(new Conflict({ message: staleMessage, current: now }));
      return now;
    });

  return {
    list: Effect.fn("Knowledge.list")(function* (actor, input) {
      yield* mayRead(actor);
      const filter = yield* decodeInput(ArticleFilter, input);
      const page = filter.page ?? 1;
      const match = filter.q === undefined ? undefined : ftsQuery(filter.q);
      const from = match === undefined ? "knowledge_articles a" : "knowledge_fts JOIN knowledge_articles a ON a.seq = knowledge_fts.rowid";
      const searchWhere = match === undefined ? [] : ["knowledge_fts MATCH ?"];
      const searchArgs = match === undefined ? [] : [match];
      const countRows = prepare(
        `SELECT a.status, COUNT(*) AS n FROM ${from} ${searchWhere.length > 0 ? `WHERE ${searchWhere.join(" AND ")}` : ""} GROUP BY a.status`,
      ).all(...searchArgs) as Array<{ status: ArticleStatus; n: number }>;
      const counts = { draft: 0, published: 0 };
      for (const row of countRows) counts[row.status] = row.n;
      const where = [...searchWhere];
      const args: unknown[] = [...searchArgs];
      if (filter.status !== undefined && filter.status !== "") {
        where.push("a.status = ?");
        args.push(filter.status);
      }
      const order = match === undefined ? "a.updated_at DESC, a.seq DESC" : "bm25(knowledge_fts, 8.0, 1.0), a.updated_at DESC, a.seq DESC";
      const rows = prepare(
        `SELECT a.id, a.title, a.status, a.updated_at, COALESCE(ub.display_name, ub.name) AS updated_by_name
           FROM ${from} LEFT JOIN users ub ON ub.id = a.updated_by
          ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ).all(...args, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE) as Array<{
        id: string;
        title: string;
        status: ArticleStatus;
        updated_at: number;
        updated_by_name: string | null;
      }>;
      return {
        articles: rows
          .slice(0, PAGE_SIZE)
          .map((r) => ({ id: r.id, title: r.title, status: r.status, updatedAt: r.updated_at, updatedByName: r.updated_by_name })),
        page,
        hasMore: rows.length > PAGE_SIZE,
        counts,
      };
    }),

    get: Effect.fn("Knowledge.get")(function* (actor, id) {
      yield* mayRead(actor);
      return yield* found(id);
    }),

    create: Effect.fn("Knowledge.create")(function* (actor, input) {
      yield* mayEdit(actor);
      const article = yield* decodeInput(ArticleInput, input);
      const id = newId("art");
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect(() =>
          prepare(
            `INSERT INTO knowledge_articles (id, title, body, status, version, author_id, updated_by, created_at, updated_at)
             VALUES (?, ?, ?, 'draft', 1, ?, ?, ?, ?)`,
          ).run(id, article.title, article.body, actor.id, actor.id, now, now),
        ),
      );
      return yield* Effect.orDie(found(id));
    }),

    update: Effect.fn("Knowledge.update")(function* (actor, id, input) {
      yield* mayEdit(actor);
      const before = yield* found(id);
      const change = yield* decodeInput(ArticleUpdate, input);
      // Saving what is already there (a double click) is no conflict and no new version.
      if (change.title === before.title && change.body === before.body) return before;
      return yield* versioned(id, change.version, () =>
        prepare(
          "UPDATE knowledge_articles SET title = ?, body = ?, updated_by = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        ).run(change.title, change.body, actor.id, wallClock.now(), id, change.version).changes,
      );
    }),

    setStatus: Effect.fn("Knowledge.setStatus")(function* (actor, id, input) {
      yield* mayEdit(actor);
      const before = yield* found(id);
      const change = yield* decodeInput(ArticleStatusChange, input);
      if (change.status === before.status) return before;
      if (change.status === "published" && before.body.trim() === "") {
        return yield* Effect.fail(invalid("body", "write the article before publishing it"));
      }
      const now = wallClock.now();
      return yield* versioned(id, change.version, () =>
        prepare(
          `UPDATE knowledge_articles SET status = ?, published_at = ?, updated_by = ?, updated_at = ?, version = version + 1
            WHERE id = ? AND version = ?`,
        ).run(change.status, change.status === "published" ? now : null, actor.id, now, id, change.version).changes,
      );
    }),

    remove: Effect.fn("Knowledge.remove")(function* (actor, id) {
      yield* mayEdit(actor);
      const changes = yield* Effect.orDie(db.writeEffect(() => prepare("DELETE FROM knowledge_articles WHERE id = ?").run(id).changes));
      if (changes === 0) return yield* Effect.fail(new NotFound({ entity: "article", id }));
    }),

    listPublished: () =>
      Effect.sync(() =>
        (
          prepare(
            "SELECT id, title, body, updated_at FROM knowledge_articles WHERE status = 'published' ORDER BY title COLLATE NOCASE, id LIMIT ?",
          ).all(MAX_PUBLISHED_LISTED) as Array<{ id: string; title: string; body: string; updated_at: number }>
        ).map(toPublished),
      ),

    getPublished: (id) =>
      Effect.suspend(() => {
        const row = prepare("SELECT id, title, body, updated_at FROM knowledge_articles WHERE id = ? AND status = 'published'").get(id) as
          | { id: string; title: string; body: string; updated_at: number }
          | undefined;
        return row ? Effect.succeed(toPublished(row)) : Effect.fail(new NotFound({ entity: "article", id }));
      }),

    search: (input) => Effect.map(decodeInput(HelpSearch, input), ({ q }) => searchKnowledgeNow(db, q, HELP_SEARCH_LIMIT)),
  };
};

/** The Knowledge service over the app's Database. */
export const layer: Layer.Layer<Knowledge, never, Database> = Layer.effect(Knowledge, Effect.map(Database, makeKnowledge));
