/**
 * The thread route's "retry-delivery" intent as the signed-in admin posts it, through the real
 * route action, session and CSRF check, on the app's real runtime and a fresh SQLite file (the
 * email sender is the test's own: it stands in for the relay at the outbox's boundary).
 * A bad or missing message id, a reply that is not failed, an unknown conversation and a post
 * without the CSRF token are refused with their status and change nothing.
 */
import { Effect } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../../../runtime/services/accounts.js";
import type { AppRuntime } from "../../../runtime/services/app-layer.js";
import { Channels } from "../../../runtime/services/channels.js";
import type { Sqlite } from "../../../runtime/services/database.js";
import { Deliveries, SendFailed } from "../../../runtime/services/deliveries.js";
import { Inbox } from "../../../runtime/services/inbox.js";
import { OutsideConversations } from "../../../runtime/services/outside-conversations.js";
import { action } from "../../routes/inbox.$conversationId.js";
import { readThreadForm } from "./thread-action.server.js";
import { sessionCookieHeader } from "../../session.server.js";
import { startTestApp } from "../../../tests/support/test-app.js";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let conversationId: string;
let failedId: string;
let sentId: string;
let fail = true;

const BASE = "https://parley.example.com";

const signIn = async () => {
  const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", "admin-password-1")));
  const context = { runtime } as never;
  const cookie = (await sessionCookieHeader(new Request(BASE), context, session.token)).split(";")[0]!;
  return { context, cookie, csrf: session.csrfToken, userId: session.user.id };
};

type Answer = { data: Record<string, unknown> & { ok: boolean; fields?: Record<string, string> }; init: { status?: number } | null };

const post = async (fields: Record<string, string>, id = conversationId, withCsrf = true): Promise<{ status: number; data: Answer["data"] | null }> => {
  const { context, cookie, csrf } = await signIn();
  const body = new URLSearchParams({ ...fields, ...(withCsrf ? { csrf } : {}) });
  const request = new Request(`${BASE}/inbox/${id}`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  return action({ request, context, params: { conversationId: id } }).then(
    (answer) => {
      const a = answer as unknown as Answer;
      return { status: a.init?.status ?? 200, data: a.data };
    },
    (thrown: unknown) => ({ status: (thrown as Response).status, data: null }),
  );
};

const rows = () => sqlite.prepare("SELECT message_id, status, attempts, next_attempt_at FROM deliveries ORDER BY message_id").all();

beforeAll(async () => {
  // The test runs the outbox's passes itself.
  const app = await startTestApp("thread-action", { PUBLIC_URL: BASE });
  ({ dir, runtime, sqlite } = app);
  const inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  const channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  const deliveries = await runtime.runPromise(Deliveries);
  deliveries.register("email", (m) =>
    fail && m.text === "bounces" ? Effect.fail(new SendFailed({ reason: "550 5.1.1 no such user", permanent: true })) : Effect.succeed({}),
  );
  const { visitorId } = await runtime.runPromise(Effect.flatMap(OutsideConversations, (o) => o.visitorFor({ channelId, externalId: "ann@customer.test" })));
  conversationId = (
    await runtime.runPromise(Effect.flatMap(OutsideConversations, (o) => o.open({ channelId, visitorId, contactId: null, text: "Hello", via: "email" })))
  ).conversationId;
  const { userId } = await signIn();
  const admin = { id: userId, role: "admin" };
  const inbox = await runtime.runPromise(Inbox);
  sentId = (await runtime.runPromise(inbox.reply({ conversationId, text: "goes out", clientMessageId: "a1" }, admin))).id;
  failedId = (await runtime.runPromise(inbox.reply({ conversationId, text: "bounces", clientMessageId: "a2" }, admin))).id;
  await runtime.runPromise(deliveries.runDue());
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("POST /inbox/:id intent=retry-delivery", () => {
  it("refuses what it cannot retry, with its status and a message, and changes nothing", async () => {
    const before = rows();
    expect((before as Array<{ status: string }>).map((r) => r.status)).toEqual(["sent", "failed"]);

    const missing = await post({ intent: "retry-delivery" });
    expect(missing.status).toBe(400);
    expect(missing.data).toMatchObject({ ok: false, intent: "retry-delivery", fields: { messageId: "a message id is a whole number from 1" } });
    expect((await post({ intent: "retry-delivery", messageId: "abc" })).status).toBe(400);

    const sent = await post({ intent: "retry-delivery", messageId: sentId });
    expect(sent.status).toBe(409);
    expect(sent.data).toMatchObject({ ok: false, error: "This message was sent already; there is nothing to retry." });

    expect((await post({ intent: "retry-delivery", messageId: "999999" })).status).toBe(404);
    expect((await post({ intent: "retry-delivery", messageId: failedId }, "conv_nope")).status).toBe(404);
    // Without the CSRF token the session's post is refused before anything runs.
    expect((await post({ intent: "retry-delivery", messageId: failedId }, conversationId, false)).status).toBe(403);

    expect(rows()).toEqual(before);
  });

  it("queues the failed reply again, and the outbox's next pass sends it", async () => {
    fail = false;
    const answered = await post({ intent: "retry-delivery", messageId: failedId });
    expect(answered).toEqual({ status: 200, data: { ok: true, intent: "retry-delivery", messageId: failedId, message: "Sending again…" } });
    expect(sqlite.prepare("SELECT status FROM deliveries WHERE message_id = ?").get(Number(failedId))).toEqual({ status: "pending" });
    await runtime.runPromise(Effect.flatMap(Deliveries, (d) => d.runDue()));
    expect(sqlite.prepare("SELECT status, attempts FROM deliveries WHERE message_id = ?").get(Number(failedId))).toEqual({ status: "sent", attempts: 2 });
  });
});

describe("readThreadForm (a reply's multipart body)", () => {
  const MB = 1024 * 1024;
  const multipart = (build: (form: FormData) => void) => {
    const form = new FormData();
    build(form);
    return new Request(`${BASE}/inbox/x`, { method: "POST", body: form });
  };
  const file = (size: number, name: string) => new File([new Uint8Array(size)], name, { type: "application/pdf" });

  it("keeps the text fields and files of a post within the limits, up to exactly 10 MB a file", async () => {
    const read = await readThreadForm(
      multipart((f) => {
        f.set("intent", "reply");
        f.set("text", "Hällo");
        f.append("files", file(10 * MB, "exactly-10.pdf"));
        f.append("files", file(3, "small.pdf"));
      }),
    );
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.form.get("text")).toBe("Hällo");
    expect(read.form.get("files")).toBeNull();
    expect(read.files.map((f) => [f.filename, f.contentType, f.content.length])).toEqual([
      ["exactly-10.pdf", "application/pdf", 10 * MB],
      ["small.pdf", "application/pdf", 3],
    ]);
  });

  it("refuses a text field over 64 KB, a file in another field, and a body cut short", async () => {
    expect(await readThreadForm(multipart((f) => f.set("text", "x".repeat(64 * 1024 + 1))))).toEqual({
      ok: false,
      refusal: { status: 413, path: "text", message: "text is over 64 KB" },
    });
    expect(await readThreadForm(multipart((f) => f.append("avatar", file(1, "a.pdf"))))).toEqual({
      ok: false,
      refusal: { status: 400, path: "avatar", message: "files go in the field named files" },
    });
    const cut = new Request(`${BASE}/inbox/x`, {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=zzz" },
      body: '--zzz\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\nhalf a fi',
    });
    expect(await readThreadForm(cut)).toMatchObject({ ok: false, refusal: { status: 400, path: "form" } });
  });

  it("reads a plain form as it is, without files", async () => {
    const read = await readThreadForm(
      new Request(`${BASE}/inbox/x`, { method: "POST", body: new URLSearchParams({ intent: "reply", text: "hi" }) }),
    );
    expect(read.ok && read.form.get("text")).toBe("hi");
    expect(read.ok && read.files).toEqual([]);
  });
});
