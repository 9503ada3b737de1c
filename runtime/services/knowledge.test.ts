import { Effect, Exit } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseShape } from "./database.js";
import type { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { articlePlainText, renderArticleHtml } from "./knowledge-markdown.js";
import {
  excerptAround,
  knowledgeMatchExpression,
  makeKnowledge,
  MAX_BODY_BYTES,
  PAGE_SIZE,
  searchKnowledgeNow,
  searchTerms,
  type Article,
  type KnowledgeShape,
} from "./knowledge.js";

const admin = { id: "usr_admin", role: "admin" };
const marketer = { id: "usr_mia", role: "marketer" };
const agent = { id: "usr_alex", role: "agent" };
const analyst = { id: "usr_ana", role: "analyst" };

let dir: string;
let db: DatabaseShape;
let knowledge: KnowledgeShape;

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);
const fail = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined;
  if (failure === undefined) throw new Error(`expected a failure, got ${String(exit.cause)}`);
  return failure;
};

/** Writes and publishes an article as the marketer. */
const published = async (title: string, body: string): Promise<Article> => {
  const draft = await run(knowledge.create(marketer, { title, body }));
  return run(knowledge.setStatus(marketer, draft.id, { status: "published", version: draft.version }));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-knowledge-"));
  db = openDatabase({ path: join(dir, "knowledge.sqlite"), synchronous: "NORMAL" });
  const user = db.sqlite.prepare(
    "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)",
  );
  user.run(admin.id, "ada@example.com", "Ada Admin", "admin");
  user.run(marketer.id, "mia@example.com", "Mia Marketer", "marketer");
  user.run(agent.id, "alex@example.com", "Alex Agent", "agent");
  user.run(analyst.id, "ana@example.com", "Ana Analyst", "analyst");
  knowledge = makeKnowledge(db);
});

afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("writing articles", () => {
  it("creates a draft, edits it on its version and refuses a stale version without losing the first edit", async () => {
    const draft = await run(knowledge.create(marketer, { title: "  Shipping times  ", body: "We ship in **two** days." }));
    expect(draft).toMatchObject({ title: "Shipping times", status: "draft", version: 1, authorName: "Mia Marketer", publishedAt: null });

    const edited = await run(knowledge.update(admin, draft.id, { title: "Shipping times", body: "We ship in three days.", version: "1" }));
    expect(edited).toMatchObject({ version: 2, body: "We ship in three days.", updatedByName: "Ada Admin", authorName: "Mia Marketer" });

    const stale = (await fail(knowledge.update(marketer, draft.id, { title: "Shipping", body: "Old tab", version: 1 }))) as Conflict;
    expect(stale._tag).toBe("Conflict");
    expect((stale.current as Article).body).toBe("We ship in three days.");
    expect((await run(knowledge.get(agent, draft.id))).body).toBe("We ship in three days.");

    // Saving what is already there is no conflict, whatever version the page had.
    expect((await run(knowledge.update(marketer, draft.id, { title: "Shipping times", body: "We ship in three days.", version: 1 }))).version).toBe(2);
  });

  it("publishes and unpublishes on the version, and refuses to publish an empty article", async () => {
    const draft = await run(knowledge.create(marketer, { title: "Empty", body: "   " }));
    const empty = (await fail(knowledge.setStatus(marketer, draft.id, { status: "published", version: 1 }))) as InvalidInput;
    expect(empty.issues).toEqual([{ path: "body", message: "write the article before publishing it" }]);

    const full = await run(knowledge.update(marketer, draft.id, { title: "Returns", body: "Send it back within 30 days.", version: 1 }));
    const live = await run(knowledge.setStatus(marketer, full.id, { status: "published", version: full.version }));
    expect(live.status).toBe("published");
    expect(live.publishedAt).toBeTypeOf("number");
    expect((await run(knowledge.getPublished(live.id))).title).toBe("Returns");

    expect((await fail(knowledge.setStatus(marketer, live.id, { status: "draft", version: full.version })))._tag).toBe("Conflict");
    const back = await run(knowledge.setStatus(admin, live.id, { status: "draft", version: live.version }));
    expect(back).toMatchObject({ status: "draft", publishedAt: null });
    expect((await fail(knowledge.getPublished(live.id)))._tag).toBe("NotFound");
  });

  it("names the field of every bad input", async () => {
    const issues = async (input: unknown) => ((await fail(knowledge.create(marketer, input))) as InvalidInput).issues.map((i) => i.path);
    expect(await issues({ title: "   ", body: "x" })).toEqual(["title"]);
    expect(await issues({ title: "t".repeat(201), body: "x" })).toEqual(["title"]);
    expect(await issues({ title: "Big", body: "é".repeat(MAX_BODY_BYTES / 2 + 1) })).toEqual(["body"]);
    expect(await issues({ body: 5 })).toEqual(expect.arrayContaining(["title", "body"]));
    expect(await issues(null)).toEqual([""]);
    // Exactly the limit is allowed (bytes, not characters).
    expect((await run(knowledge.create(marketer, { title: "Big", body: "é".repeat(MAX_BODY_BYTES / 2) }))).body).toHaveLength(MAX_BODY_BYTES / 2);

    const draft = await run(knowledge.create(marketer, { title: "Versions", body: "v" }));
    const badVersion = (await fail(knowledge.update(marketer, draft.id, { title: "Versions", body: "w", version: "two" }))) as InvalidInput;
    expect(badVersion.issues[0]?.path).toBe("version");
    const badStatus = (await fail(knowledge.setStatus(marketer, draft.id, { status: "live", version: 1 }))) as InvalidInput;
    expect(badStatus.issues[0]).toEqual({ path: "status", message: "the status is draft or published" });
    const badPage = (await fail(knowledge.list(agent, { page: "0" }))) as InvalidInput;
    expect(badPage.issues[0]?.path).toBe("page");
    const badFilter = (await fail(knowledge.list(agent, { status: "live", q: "x".repeat(201) }))) as InvalidInput;
    expect(badFilter.issues.map((i) => i.path).sort()).toEqual(["q", "status"]);
  });

  it("lets admins and marketers write, every signed-in role read, and nobody touch unknown ids", async () => {
    const draft = await run(knowledge.create(admin, { title: "Roles", body: "Who does what" }));
    for (const reader of [agent, analyst]) {
      expect(((await fail(knowledge.create(reader, { title: "x", body: "y" }))) as Forbidden)._tag).toBe("Forbidden");
      expect((await fail(knowledge.update(reader, draft.id, { title: "x", body: "y", version: 1 })))._tag).toBe("Forbidden");
      expect((await fail(knowledge.setStatus(reader, draft.id, { status: "published", version: 1 })))._tag).toBe("Forbidden");
      expect((await fail(knowledge.remove(reader, draft.id)))._tag).toBe("Forbidden");
      expect((await run(knowledge.get(reader, draft.id))).title).toBe("Roles");
    }
    expect((await fail(knowledge.get({ id: "x", role: "visitor" }, draft.id)))._tag).toBe("Forbidden");
    expect(((await fail(knowledge.get(agent, "art_nope"))) as NotFound)._tag).toBe("NotFound");
    expect((await fail(knowledge.update(admin, "art_nope", { title: "x", body: "y", version: 1 })))._tag).toBe("NotFound");
    expect((await fail(knowledge.remove(admin, "art_nope")))._tag).toBe("NotFound");

    await run(knowledge.remove(marketer, draft.id));
    expect((await fail(knowledge.get(admin, draft.id)))._tag).toBe("NotFound");
    // Its words left the index with it.
    expect((await run(knowledge.list(admin, { q: "does what" }))).articles).toEqual([]);
  });
});

describe("the management list", () => {
  it("filters by status, searches drafts too, counts each status and pages", async () => {
    const topic = "zebracorn";
    const made: Article[] = [];
    for (let i = 0; i < PAGE_SIZE + 2; i++) made.push(await run(knowledge.create(marketer, { title: `${topic} ${i}`, body: "b" })));
    await new Promise((done) => setTimeout(done, 5));
    await run(knowledge.setStatus(marketer, made[0]!.id, { status: "published", version: 1 }));

    const first = await run(knowledge.list(agent, { q: topic }));
    expect(first.counts).toEqual({ draft: PAGE_SIZE + 1, published: 1 });
    expect(first.articles).toHaveLength(PAGE_SIZE);
    expect(first.hasMore).toBe(true);
    const second = await run(knowledge.list(agent, { q: topic, page: "2" }));
    expect(second.articles).toHaveLength(2);
    expect(second.hasMore).toBe(false);
    expect(new Set([...first.articles, ...second.articles].map((a) => a.id)).size).toBe(PAGE_SIZE + 2);

    const live = await run(knowledge.list(agent, { q: topic, status: "published" }));
    expect(live.articles.map((a) => a.id)).toEqual([made[0]!.id]);
    // The whole list, newest change first.
    const all = await run(knowledge.list(analyst, {}));
    expect(all.articles[0]!.id).toBe(made[0]!.id);
    for (const made2 of made) await run(knowledge.remove(admin, made2.id));
  });
});

describe("the visitor's search", () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    ids.password = (
      await published(
        "Reset your password",
        "Forgot your password? On the [sign-in page](https://app.example.com/login) choose **Forgot password** and we email you a link. The link works for one hour.",
      )
    ).id;
    ids.pricing = (
      await published("Plans and pricing", "Parley has three plans: Free, Team and Business. Prices are per agent and month; change plans any time.")
    ).id;
    ids.export = (
      await published("Export your data", "Open *Settings → Export* to download your conversations as CSV. Exporting a large account takes a few minutes.")
    ).id;
    ids.hours = (
      await published("Support hours", "Our support team answers Monday to Friday, 9:00–17:00 CET. Outside these hours, leave a message and we answer by email.")
    ).id;
    ids.invoice = (
      await published("Invoices and receipts", "Every month we email an invoice to the account owner. Download past invoices under Billing. Need a password-protected PDF? Ask us.")
    ).id;
    ids.draft = (await run(knowledge.create(marketer, { title: "Password policy (draft)", body: "Passwords need twelve characters." }))).id;
  });

  const search = (q: string, limit = 3) => searchKnowledgeNow(db, q, limit).map((h) => h.id);

  it("ranks the article about the question first, title over body", () => {
    expect(search("How do I reset my password?")[0]).toBe(ids.password);
    expect(search("how much does the team plan cost")[0]).toBe(ids.pricing);
    expect(search("can i export my conversations")[0]).toBe(ids.export);
    expect(search("When is your support open?")[0]).toBe(ids.hours);
    expect(search("where are my invoices")[0]).toBe(ids.invoice);
    // "password" is in two published bodies, but one has it in its title.
    expect(search("password")).toEqual([ids.password, ids.invoice]);
  });

  it("matches word forms and diacritics: plurals, -ing, prefixes, accents", () => {
    expect(search("passwords")[0]).toBe(ids.password);
    expect(search("exporting")[0]).toBe(ids.export);
    expect(search("pricing")[0]).toBe(ids.pricing);
    expect(search("PLÄNS")[0]).toBe(ids.pricing);
  });

  it("finds nothing for a question of only common words, English or German, and never a draft", () => {
    expect(search("How do I do this?")).toEqual([]);
    expect(search("Wie kann ich das machen?")).toEqual([]);
    expect(search("")).toEqual([]);
    expect(search("twelve characters")).toEqual([]);
    expect(search("quantum entanglement")).toEqual([]);
  });

  it("never fails on FTS syntax, odd characters or very long text", () => {
    const nasty = [
      '"',
      '"password',
      "password*",
      "*",
      "-password",
      "password NEAR(reset, 2)",
      "NEAR",
      "(password OR",
      ")",
      "AND OR NOT",
      "title:password",
      "^password",
      "pass+word",
      "😀🔑 password 🙈",
      "\u0000password\u0007",
      "\u{10FFFF}\uFFFF",
      "a".repeat(4_000),
      "password ".repeat(500),
      Array.from({ length: 4_000 }, (_, i) => String.fromCharCode(33 + (i % 94))).join(""),
    ];
    for (const query of nasty) expect(() => searchKnowledgeNow(db, query, 3)).not.toThrow();
    expect(search('"password')[0]).toBe(ids.password);
    expect(search("password NEAR(reset, 2)")[0]).toBe(ids.password);
    expect(search("😀🔑 password 🙈")[0]).toBe(ids.password);
    // Only letters and digits reach the index, each quoted; 12 terms at most.
    expect(knowledgeMatchExpression('x"y NEAR(a b) -c *d')).toBe('"near"*');
    expect(searchTerms(Array.from({ length: 40 }, (_, i) => `word${i}x`).join(" "))).toHaveLength(12);
  });

  it("returns at most `limit` hits with a help-center path and a plain excerpt around the match", () => {
    expect(searchKnowledgeNow(db, "password invoice plans export support", 2)).toHaveLength(2);
    expect(searchKnowledgeNow(db, "password invoice plans export support", 0)).toHaveLength(1);
    const [hit] = searchKnowledgeNow(db, "sign-in link", 1);
    expect(hit).toEqual({
      id: ids.password,
      title: "Reset your password",
      path: `/help/articles/${ids.password}`,
      excerpt: "Forgot your password? On the sign-in page choose Forgot password and we email you a link. The link works for one hour.",
    });
  });
});

describe("excerpts and rendering", () => {
  it("cuts ≤ 200 characters around the first matching word at word boundaries", () => {
    const text = `${"lorem ipsum ".repeat(40)}the refund arrives within five days ${"dolor sit ".repeat(40)}`;
    const excerpt = excerptAround(text, searchTerms("refunds"));
    expect(excerpt.length).toBeLessThanOrEqual(200);
    expect(excerpt).toContain("refund arrives within five days");
    expect(excerpt.startsWith("…")).toBe(true);
    expect(excerpt.endsWith("…")).toBe(true);
    expect(excerptAround("short text", [])).toBe("short text");
    expect(excerptAround("word ".repeat(100), []).length).toBeLessThanOrEqual(200);
  });

  it("renders Markdown with raw HTML and unsafe links inert, external links with rel", () => {
    const html = renderArticleHtml(
      '# Title\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) [vb](vbscript:x) <img src=x onerror=alert(1)> [ok](https://example.com) [in](/help)\n\n![pic](data:text/html;base64,PHNjcmlwdD4=)',
    );
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/href="vbscript:/i);
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain('src="data:text/html');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer">ok</a>');
    expect(html).toContain('<a href="/help">in</a>');
    expect(html).toContain("<h1>Title</h1>");
  });

  it("turns Markdown into plain text without its syntax", () => {
    expect(articlePlainText("# Head\n\nSome **bold** and `code`, a [link](https://x.y).\n\n- one\n- two\n\n```\nfenced\n```")).toBe(
      "Head Some bold and code, a link. one two fenced",
    );
  });
});
