/**
 * The knowledge base's editor page (/knowledge/:id) and new-article page, their real route
 * actions on a seeded app, signed in with a real session and CSRF token: saving on a version,
 * a stale save (409) that loses nothing, publishing what is on the screen, field errors, and
 * roles that may only read.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as editAction, loader as editLoader } from "../../app/routes/knowledge.$id.js";
import { action as createAction } from "../../app/routes/knowledge.new.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { Knowledge } from "../../runtime/services/knowledge.js";
import { DEMO_USERS } from "../../runtime/services/seed.js";
import { signInAdmin } from "../support/thread-post.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";

const BASE = "https://parley.example.com";
let app: TestApp;

type Answer = { status: number; data: { errors?: Record<string, string>; values?: Record<string, string> | null; message?: string | null } | null; location?: string };

const signIn = async (email?: string) => {
  if (!email) return signInAdmin(app.runtime);
  const session = await app.runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login(email, TEST_ADMIN_PASSWORD)));
  const context = { runtime: app.runtime } as never;
  const cookie = (await sessionCookieHeader(new Request(BASE), context, session.token)).split(";")[0]!;
  return { context, cookie, csrf: session.csrfToken };
};

/** Posts a form to a route action as the signed-in person; a thrown Response (403, redirect) is its status. */
const post = async (
  run: (args: ActionFunctionArgs) => Promise<unknown>,
  path: string,
  params: Record<string, string>,
  fields: Record<string, string>,
  who?: string,
): Promise<Answer> => {
  const { context, cookie, csrf } = await signIn(who);
  const body = new FormData();
  body.set("csrf", csrf);
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  const request = new Request(`${BASE}${path}`, { method: "POST", headers: { Cookie: cookie }, body });
  try {
    const answer = (await run({ request, context, params })) as unknown;
    if (answer instanceof Response) return { status: answer.status, data: null, location: answer.headers.get("Location") ?? undefined };
    const a = answer as { data?: Answer["data"]; init?: { status?: number } | null };
    return "data" in a && "init" in a ? { status: a.init?.status ?? 200, data: a.data ?? null } : { status: 200, data: answer as Answer["data"] };
  } catch (thrown) {
    return { status: (thrown as Response).status, data: null };
  }
};

const stored = (id: string) =>
  app.runtime.runPromise(Effect.flatMap(Knowledge, (k) => k.get({ id: "user_admin", role: "admin" }, id)));

beforeAll(async () => {
  app = await startTestApp("knowledge-pages");
});
afterAll(async () => {
  await app?.dispose();
});

describe("the article pages' actions", () => {
  it("creates a draft and goes to its page; a blank title is a field error", async () => {
    const bad = await post(createAction, "/knowledge/new", {}, { title: "  ", body: "text" });
    expect(bad.status).toBe(400);
    expect(bad.data?.errors).toEqual({ title: "enter a title" });
    expect(bad.data?.values).toEqual({ title: "  ", body: "text" });

    const made = await post(createAction, "/knowledge/new", {}, { title: "Gift cards", body: "They never expire." });
    expect(made.status).toBe(302);
    // The "saved" notice rides a one-time cookie, not the address (a reload would show it again).
    const id = decodeURIComponent(/^\/knowledge\/([^?]+)$/.exec(made.location ?? "")![1]!);
    expect(await stored(id)).toMatchObject({ title: "Gift cards", status: "draft", version: 1 });
  });

  it("saves on the page's version, refuses a stale one with 409 and hands back what was typed", async () => {
    const article = await app.runtime.runPromise(
      Effect.flatMap(Knowledge, (k) => k.create({ id: "user_admin", role: "admin" }, { title: "Warranty", body: "Two years." })),
    );
    const path = `/knowledge/${article.id}`;
    const saved = await post(editAction, path, { id: article.id }, { intent: "save", title: "Warranty", body: "Three years.", version: "1" });
    expect(saved).toMatchObject({ status: 200, data: { message: "The article is saved." } });

    const stale = await post(editAction, path, { id: article.id }, { intent: "save", title: "Warranty", body: "Five years!", version: "1" });
    expect(stale.status).toBe(409);
    expect(stale.data?.errors?.form).toMatch(/Someone else changed this article first/);
    expect(stale.data?.values?.body).toBe("Five years!");
    expect((await stored(article.id)).body).toBe("Three years.");

    // Publishing publishes what is on the screen.
    const published = await post(editAction, path, { id: article.id }, { intent: "publish", title: "Warranty terms", body: "Three years, parts and labour.", version: "2" });
    expect(published.data?.message).toMatch(/published/);
    expect(await stored(article.id)).toMatchObject({ title: "Warranty terms", body: "Three years, parts and labour.", status: "published", version: 4 });

    const bogus = await post(editAction, path, { id: article.id }, { intent: "shred" });
    expect(bogus.status).toBe(400);

    const deleted = await post(editAction, path, { id: article.id }, { intent: "delete" });
    expect(deleted).toMatchObject({ status: 302, location: "/knowledge" });
    expect(await post(editAction, path, { id: article.id }, { intent: "save", title: "x", body: "y", version: "4" })).toMatchObject({ status: 404 });
  });

  it("lets an agent open an article but not change it, and refuses a post without the CSRF token", async () => {
    const agent = DEMO_USERS.find((u) => u.role === "agent")!.email;
    const { context, cookie } = await signIn(agent);
    const page = (
      (await editLoader({
        request: new Request(`${BASE}/knowledge/art_demo_reset_password`, { headers: { Cookie: cookie } }),
        context,
        params: { id: "art_demo_reset_password" },
      })) as unknown as { data: { canEdit: boolean; article: { title: string } } }
    ).data;
    expect(page).toMatchObject({ canEdit: false, article: { title: "Reset your password" } });
    const refused = await post(editAction, "/knowledge/art_demo_reset_password", { id: "art_demo_reset_password" }, { intent: "delete" }, agent);
    expect(refused.status).toBe(403);
    expect(await post(createAction, "/knowledge/new", {}, { title: "Mine", body: "x" }, agent)).toMatchObject({ status: 403 });

    const admin = await signInAdmin(app.runtime);
    const request = new Request(`${BASE}/knowledge/art_demo_reset_password`, {
      method: "POST",
      headers: { Cookie: admin.cookie },
      body: new URLSearchParams({ intent: "delete" }),
    });
    const noToken = await editAction({ request, context: admin.context, params: { id: "art_demo_reset_password" } }).then(
      () => 200,
      (thrown: Response) => thrown.status,
    );
    expect(noToken).toBe(403);
    expect((await stored("art_demo_reset_password")).status).toBe("published");
  });
});
