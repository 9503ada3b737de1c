/**
 * The public help center's routes (/help, /help/articles/:id) on a seeded app's real runtime and
 * SQLite file: the demo's published articles, the search visitors and bots share, Markdown that
 * cannot run script, drafts and unknown ids as 404, and cache headers that never let a shared
 * cache keep a signed-in person's page.
 */
import { Effect } from "effect";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArticleBody } from "../../app/components/knowledge/article-body.js";
import { loader as articleLoader, meta as articleMeta } from "../../app/routes/help.articles.$id.js";
import { loader as helpLoader } from "../../app/routes/help._index.js";
import { Knowledge } from "../../runtime/services/knowledge.js";
import { DEMO_ARTICLES } from "../../runtime/services/seed.js";
import { signInAdmin } from "../support/thread-post.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const BASE = "https://parley.example.com";
const admin = { id: "user_admin", role: "admin" };

let app: TestApp;
const context = () => ({ runtime: app.runtime }) as never;

type Loaded<T> = { data: T; init: { status?: number; headers?: Record<string, string> } | null };
type HelpList = { query: string; articles: Array<{ id: string; title: string; excerpt: string }> };
type HelpArticle = { article: { id: string; title: string; excerpt: string; html: string } };

const help = async (query: string, headers: Record<string, string> = {}) =>
  (await helpLoader({ request: new Request(`${BASE}/help${query}`, { headers }), context: context(), params: {} })) as unknown as Loaded<HelpList>;
const article = async (id: string, headers: Record<string, string> = {}) =>
  (await articleLoader({
    request: new Request(`${BASE}/help/articles/${id}`, { headers }),
    context: context(),
    params: { id },
  })) as unknown as Loaded<HelpArticle>;
/** The status of the Response a loader threw. */
const thrownStatus = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (thrown: unknown) => (thrown as Response).status,
  );

const knowledge = <A, E>(f: (k: typeof Knowledge.Service) => Effect.Effect<A, E>) => app.runtime.runPromise(Effect.flatMap(Knowledge, f));

const publish = async (title: string, body: string) => {
  const draft = await knowledge((k) => k.create(admin, { title, body }));
  return knowledge((k) => k.setStatus(admin, draft.id, { status: "published", version: draft.version }));
};

beforeAll(async () => {
  app = await startTestApp("help-center");
});
afterAll(async () => {
  await app?.dispose();
});

describe("the help center's front page and search", () => {
  it("lists the demo's published articles by title, with plain excerpts, and never a draft", async () => {
    const draft = await knowledge((k) => k.create(admin, { title: "Secret roadmap", body: "Not for visitors." }));
    const { data } = await help("");
    expect(data.articles.map((a) => a.id).sort()).toEqual(DEMO_ARTICLES.map((a) => a.id).sort());
    expect(data.articles.map((a) => a.title)).toEqual([...data.articles.map((a) => a.title)].sort((a, b) => a.localeCompare(b)));
    expect(data.articles.find((a) => a.id === draft.id)).toBeUndefined();
    for (const a of data.articles) {
      expect(a.excerpt.length).toBeGreaterThan(0);
      expect(a.excerpt.length).toBeLessThanOrEqual(200);
      expect(a.excerpt).not.toMatch(/\*\*|\]\(|^#/);
    }
  });

  it("answers a visitor's question with the best article first, and nothing for common words", async () => {
    expect((await help("?q=How+do+I+reset+my+password%3F")).data.articles[0]?.id).toBe("art_demo_reset_password");
    expect((await help("?q=quantum+entanglement")).data.articles).toEqual([]);
    expect((await help("?q=support+hours")).data.articles[0]?.id).toBe("art_demo_support_hours");
    expect((await help("?q=can+I+move+my+launch+date")).data.articles[0]?.id).toBe("art_demo_change_launch_date");
    expect((await help("?q=export+telemetry+csv")).data.articles[0]?.id).toBe("art_demo_export_data");
    expect((await help("?q=how+do+i+do+it")).data.articles).toEqual([]);
    // FTS syntax is plain text.
    for (const q of ['"', "NEAR(", "*", "-password", "pass) OR (word"]) {
      expect(await thrownStatus(help(`?q=${encodeURIComponent(q)}`))).toBe(200);
    }
    expect((await help(`?q=${encodeURIComponent('"password')}`)).data.articles[0]?.id).toBe("art_demo_reset_password");
  });

  it("refuses a search over 200 characters with 400", async () => {
    expect(await thrownStatus(help(`?q=${"a".repeat(201)}`))).toBe(400);
  });

  it("lets shared caches keep a visitor's page a minute, and no cache keep a signed-in person's", async () => {
    expect((await help("")).init?.headers).toMatchObject({ "Cache-Control": "public, max-age=60, stale-while-revalidate=300", Vary: "Cookie" });
    const { cookie } = await signInAdmin(app.runtime);
    expect((await help("", { Cookie: cookie })).init?.headers).toMatchObject({ "Cache-Control": "private, no-store" });
    expect((await article("art_demo_plans_pricing", { Cookie: cookie })).init?.headers).toMatchObject({ "Cache-Control": "private, no-store" });
  });
});

describe("an article's page", () => {
  it("renders the Markdown with links, a page title and a description from the excerpt", async () => {
    const { data } = await article("art_demo_reset_password");
    expect(data.article.title).toBe("Reset your password");
    expect(data.article.html).toContain('<a href="https://acme-rockets.example/login" rel="noopener noreferrer">sign-in page</a>');
    expect(data.article.html).toContain('<a href="/demo/contact">write to us</a>');
    expect(data.article.html).toContain("<strong>Forgot password</strong>");
    const tags = articleMeta({ data: data as never } as never) as Array<Record<string, string>>;
    expect(tags).toContainEqual({ title: "Reset your password · Help center" });
    const description = tags.find((t) => t.name === "description")?.content ?? "";
    expect(description.startsWith("Forgot the password of your Acme Rockets account?")).toBe(true);
    expect(description.length).toBeLessThanOrEqual(200);
  });

  it("shows raw HTML as text and leaves unsafe links inert", async () => {
    const evil = await publish(
      "Evil article",
      [
        "<script>alert('x')</script>",
        "[click me](javascript:alert(document.cookie)) [again](JAVASCRIPT:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)",
        '<img src="x" onerror="alert(1)"> <a href="javascript:alert(1)">raw link</a>',
        "![pic](javascript:alert(1))",
      ].join("\n\n"),
    );
    const { data } = await article(evil.id);
    const markup = renderToStaticMarkup(ArticleBody({ html: data.article.html }));
    expect(markup).not.toMatch(/<script/i);
    expect(markup).not.toMatch(/<img/i);
    expect(markup).not.toMatch(/href="(javascript|data):/i);
    expect(markup).not.toMatch(/<a href="javascript/i);
    expect(markup).toContain("&lt;script&gt;");
    expect(markup).toContain("&lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;");
    // The refused links stay visible as their Markdown text.
    expect(markup).toContain("[click me](javascript:alert(document.cookie))");
  });

  it("is 404 for drafts, unpublished articles and unknown ids, as for anyone", async () => {
    const draft = await knowledge((k) => k.create(admin, { title: "Draft", body: "Soon." }));
    expect(await thrownStatus(article(draft.id))).toBe(404);
    const live = await publish("Short-lived", "Here today.");
    expect(await thrownStatus(article(live.id))).toBe(200);
    await knowledge((k) => k.setStatus(admin, live.id, { status: "draft", version: live.version }));
    expect(await thrownStatus(article(live.id))).toBe(404);
    expect(await thrownStatus(article("art_nope"))).toBe(404);
    expect(await thrownStatus(article("../../etc/passwd"))).toBe(404);
    const { cookie } = await signInAdmin(app.runtime);
    // Signed in or not: the help center is the visitors' view.
    expect(await thrownStatus(article(draft.id, { Cookie: cookie }))).toBe(404);
  });
});
