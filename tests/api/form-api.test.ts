/**
 * A form channel end to end, in-process: the real endpoint (server/channel-routes.ts →
 * server/form-api.ts) on node:http and the app's real runtime on a fresh SQLite file. Bad input
 * asserts its status, its error body (with the field's path) AND that nothing was stored.
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { InvalidInput } from "../../runtime/services/errors.js";
import { FormChannel, type FormSettingsInput } from "../../runtime/services/form-channel.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { createChannelRoutes } from "../../server/channel-routes.js";
import { FORM_RATE_LIMIT, formRateLimiter } from "../../server/form-api.js";
import { startTestApp } from "../support/test-app.js";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let server: Server;
let base: string;
let adminId: string;
let inboxId: string;
let channelId: string;
let chatChannelId: string;

const SITE = "https://www.example.com";

const settingsInput: FormSettingsInput = {
  fields: [
    { key: "name", label: "Your name", type: "text", required: true, options: [] },
    { key: "email", label: "Email", type: "email", required: true, options: [] },
    { key: "phone", label: "Phone", type: "phone", required: false, options: [] },
    { key: "topic", label: "Topic", type: "select", required: true, options: ["Sales", "Support"] },
    { key: "message", label: "Message", type: "textarea", required: true, options: [] },
  ],
  contact: { email: "email", name: "name", phone: "phone" },
  subject: "{topic} request from {name}",
  priority: "high",
  successMessage: "Thanks <b>friend</b>, we will write back.",
  redirectUrl: "",
  allowedOrigins: [SITE],
};

const good = (over: Record<string, unknown> = {}) => ({
  name: "Ann Lee",
  email: "Ann@Example.COM",
  phone: "+49 30 1234567",
  topic: "Sales",
  message: "Hello,\nI would like a quote.",
  ...over,
});

const TABLES = ["conversations", "tickets", "contacts", "messages", "visitors", "channel_identities", "external_messages", "events"] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
/** Runs `request` and asserts it stored nothing at all. */
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = counts();
  const result = await request();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(counts()).toEqual(before);
  return result;
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => { ok?: boolean; message?: string; error?: { code: string; message: string; path?: string }; form?: Record<string, unknown> };
}

const call = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Answer> => {
  const response = await fetch(`${base}${path}`, { redirect: "manual", ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as ReturnType<Answer["json"]> };
};

const submitJson = (body: unknown, headers: Record<string, string> = {}, channel = channelId) =>
  call(`/api/forms/${channel}/submissions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const submitForm = (fields: Record<string, string> | string, headers: Record<string, string> = {}, channel = channelId) =>
  call(`/api/forms/${channel}/submissions`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: typeof fields === "string" ? fields : new URLSearchParams(fields).toString(),
  });

const latestConversation = () =>
  sqlite
    .prepare("SELECT id, status, contact_id, page_url, inbox_id, channel_id FROM conversations WHERE channel_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
    .get(channelId) as { id: string; status: string; contact_id: string | null; page_url: string | null; inbox_id: string; channel_id: string };

const form = () => runtime.runPromise(FormChannel);

beforeAll(async () => {
  const app = await startTestApp("forms", { PUBLIC_URL: "https://parley.example.com" });
  ({ dir, runtime, sqlite } = app);
  adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string }).id;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  chatChannelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "form", name: "Contact us", inboxId })))).id;
  await (await form()).saveSettings(channelId, settingsInput).pipe(Effect.runPromise);
  const routes = createChannelRoutes(runtime);
  server = createServer((req, res) => {
    if (!routes.handle(req, res)) {
      res.statusCode = 418;
      res.end("not a channel route");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => formRateLimiter(runtime).reset());

describe("the public definition", () => {
  it("GET answers the fields and success message, with CORS for an allowed origin only", async () => {
    const allowed = await call(`/api/forms/${channelId}`, { headers: { Origin: SITE } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(SITE);
    const body = allowed.json().form as { fields: Array<{ key: string }>; successMessage: string; submitUrl: string };
    expect(body.fields.map((f) => f.key)).toEqual(["name", "email", "phone", "topic", "message"]);
    expect(body.successMessage).toBe(settingsInput.successMessage);
    expect(body.submitUrl).toBe(`https://parley.example.com/api/forms/${channelId}/submissions`);
    // The team's settings stay private.
    expect(allowed.text).not.toContain("allowedOrigins");
    expect(allowed.text).not.toContain("request from");

    const other = await call(`/api/forms/${channelId}`, { headers: { Origin: "https://evil.example" } });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an unknown channel and a channel of another kind are 404", async () => {
    for (const id of ["chan_nope", chatChannelId]) {
      const answer = await call(`/api/forms/${id}`);
      expect(answer.status).toBe(404);
      expect(answer.json().error?.code).toBe("not_found");
    }
    const submitted = await storesNothing(() => submitJson({ fields: good() }, {}, chatChannelId));
    expect(submitted.status).toBe(404);
    const posted = await storesNothing(() => submitForm(good() as Record<string, string>, {}, "chan_nope"));
    expect(posted.status).toBe(404);
    expect(posted.headers.get("content-type")).toContain("text/html");
  });

  it("answers the preflight for an allowed origin, with Idempotency-Key allowed, and refuses others", async () => {
    const ok = await call(`/api/forms/${channelId}/submissions`, {
      method: "OPTIONS",
      headers: { Origin: SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, idempotency-key" },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
    const refused = await call(`/api/forms/${channelId}/submissions`, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("a valid submission", () => {
  it("JSON: opens one conversation and one ticket in the channel's inbox, with the contact, and the inbox lists it", async () => {
    const before = counts();
    const answer = await submitJson({ fields: good(), pageUrl: `${SITE}/contact` }, { Origin: SITE });
    expect(answer.status).toBe(201);
    expect(answer.json()).toEqual({ ok: true, message: settingsInput.successMessage });
    expect(answer.headers.get("access-control-allow-origin")).toBe(SITE);
    const after = counts();
    expect(after.conversations - before.conversations).toBe(1);
    expect(after.tickets - before.tickets).toBe(1);
    expect(after.contacts - before.contacts).toBe(1);
    expect(after.messages - before.messages).toBe(1);

    const conversation = latestConversation();
    expect(conversation).toMatchObject({ status: "open", inbox_id: inboxId, page_url: `${SITE}/contact` });
    const contact = sqlite.prepare("SELECT email, name, phone FROM contacts WHERE id = ?").get(conversation.contact_id) as Record<string, string>;
    expect(contact).toEqual({ email: "ann@example.com", name: "Ann Lee", phone: "+49301234567" });
    const message = sqlite.prepare("SELECT author, text, payload FROM messages WHERE conversation_id = ?").get(conversation.id) as {
      author: string;
      text: string;
      payload: string;
    };
    expect(message.author).toBe("visitor");
    expect(message.text).toBe("Your name: Ann Lee\nEmail: ann@example.com\nPhone: +49301234567\nTopic: Sales\nMessage: Hello,\nI would like a quote.");
    expect(JSON.parse(message.payload).form.fields[3]).toEqual({ key: "topic", label: "Topic", value: "Sales" });
    const ticket = sqlite.prepare("SELECT subject, description, priority, contact_id, inbox_id FROM tickets WHERE conversation_id = ?").get(conversation.id);
    expect(ticket).toEqual({ subject: "Sales request from Ann Lee", description: message.text, priority: "high", contact_id: conversation.contact_id, inbox_id: inboxId });

    const listed = await runtime.runPromise(
      Effect.flatMap(Inbox, (inbox) => inbox.listConversations({ view: "all_open", channelId }, { id: adminId, role: "admin" })),
    );
    const summary = listed.conversations.find((c) => c.id === conversation.id);
    expect(summary).toMatchObject({ status: "open", channel: { kind: "form" }, contactId: conversation.contact_id });
    expect(summary?.waitingSince).not.toBeNull();
  });

  it("the same email again reuses the contact and visitor, filling only the contact's blanks", async () => {
    sqlite.prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES ('contact_known', 'known@example.com', 'Known Name', NULL, '{}', 1, 1)").run();
    const first = await submitJson({ fields: good({ email: "KNOWN@example.com", name: "Another Name" }) });
    expect(first.status).toBe(201);
    const contact = () => sqlite.prepare("SELECT name, phone FROM contacts WHERE id = 'contact_known'").get();
    expect(contact()).toEqual({ name: "Known Name", phone: "+49301234567" });
    const conversation = latestConversation();
    expect(conversation.contact_id).toBe("contact_known");
    const before = counts();
    const second = await submitJson({ fields: good({ email: "known@example.com", phone: "+44 20 7946 0958" }) });
    expect(second.status).toBe(201);
    const after = counts();
    expect(after.contacts).toBe(before.contacts);
    expect(after.visitors).toBe(before.visitors);
    expect(after.conversations - before.conversations).toBe(1);
    expect(contact()).toEqual({ name: "Known Name", phone: "+49301234567" });
  });

  it("a plain HTML post shows an escaped thank-you page, or 303s to the redirect URL", async () => {
    const before = counts();
    const page = await submitForm(good() as Record<string, string>, { Referer: `${SITE}/contact` });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain("Thanks &lt;b&gt;friend&lt;/b&gt;, we will write back.");
    expect(page.text).not.toContain("<b>friend</b>");
    expect(page.text).toContain(`href="${SITE}/contact"`);
    expect(counts().tickets - before.tickets).toBe(1);
    expect(latestConversation().page_url).toBe(`${SITE}/contact`);

    await (await form()).saveSettings(channelId, { ...settingsInput, redirectUrl: `${SITE}/thanks` }).pipe(Effect.runPromise);
    try {
      const redirected = await submitForm(good() as Record<string, string>);
      expect(redirected.status).toBe(303);
      expect(redirected.headers.get("location")).toBe(`${SITE}/thanks`);
      expect(counts().tickets - before.tickets).toBe(2);
    } finally {
      await (await form()).saveSettings(channelId, settingsInput).pipe(Effect.runPromise);
    }
  });

  it("HTML in a value is stored as text, and optional fields may be left out", async () => {
    const answer = await submitJson({ fields: good({ name: "<script>alert(1)</script>", phone: "", message: "<img src=x onerror=alert(1)>" }) });
    expect(answer.status).toBe(201);
    const message = sqlite.prepare("SELECT text FROM messages WHERE conversation_id = ?").get(latestConversation().id) as { text: string };
    expect(message.text).toBe("Your name: <script>alert(1)</script>\nEmail: ann@example.com\nTopic: Sales\nMessage: <img src=x onerror=alert(1)>");
  });

  it("a form without an email field opens a conversation without a contact, each time for a new visitor", async () => {
    const noEmail = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "form", name: "Feedback", inboxId })))).id;
    await (await form())
      .saveSettings(noEmail, {
        ...settingsInput,
        fields: [{ key: "feedback", label: "Feedback", type: "textarea", required: true, options: [] }],
        contact: { email: "", name: "", phone: "" },
        subject: "",
        allowedOrigins: [],
      })
      .pipe(Effect.runPromise);
    const before = counts();
    for (let i = 0; i < 2; i++) expect((await submitJson({ fields: { feedback: `great ${i}` } }, {}, noEmail)).status).toBe(201);
    const after = counts();
    expect(after.contacts).toBe(before.contacts);
    expect(after.visitors - before.visitors).toBe(2);
    const tickets = sqlite.prepare("SELECT t.subject, t.contact_id FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.channel_id = ?").all(noEmail);
    expect(tickets).toEqual([
      { subject: "Form: Feedback", contact_id: null },
      { subject: "Form: Feedback", contact_id: null },
    ]);
  });
});

describe("refused submissions store nothing", () => {
  const refusedJson = async (body: unknown, status: number, path: string | undefined, headers: Record<string, string> = {}) => {
    // Refused submissions count against the IP's bucket too; this helper tests the rules only.
    formRateLimiter(runtime).reset();
    const answer = await storesNothing(() => submitJson(body, headers));
    expect(answer.status).toBe(status);
    const error = answer.json().error!;
    expect(error.path).toBe(path);
    return error;
  };

  it("a missing required field, an unknown field, bad types and bad values, each by its path", async () => {
    const missing = good();
    delete (missing as Record<string, unknown>).email;
    expect((await refusedJson({ fields: missing }, 400, "fields.email")).message).toBe("fields.email: Email is required");
    await refusedJson({ fields: good({ email: "   " }) }, 400, "fields.email");
    expect((await refusedJson({ fields: good({ coupon: "FREE" }) }, 400, "fields.coupon")).message).toContain("no field");
    expect((await refusedJson({ fields: good({ email: "not-an-address" }) }, 400, "fields.email")).message).toContain("email address");
    expect((await refusedJson({ fields: good({ phone: "12345" }) }, 400, "fields.phone")).message).toContain("country code");
    expect((await refusedJson({ fields: good({ phone: "+1 000" }) }, 400, "fields.phone")).message).toContain("not a valid phone number");
    expect((await refusedJson({ fields: good({ topic: "Billing" }) }, 400, "fields.topic")).message).toContain("Sales, Support");
    await refusedJson({ fields: good({ name: "x".repeat(1001) }) }, 400, "fields.name");
    await refusedJson({ fields: good({ message: "x".repeat(10_001) }) }, 400, "fields.message");
    await refusedJson({ fields: good({ name: 42 }) }, 400, "fields.name");
    await refusedJson({ fields: good({ name: ["a", "b"] }) }, 400, "fields.name");
  });

  it("a body that is not a submission: malformed JSON, no fields object, a bad pageUrl", async () => {
    await refusedJson("{not json", 400, undefined);
    await refusedJson("[1,2]", 400, undefined);
    await refusedJson({ name: "no fields wrapper" }, 400, "fields");
    await refusedJson({ fields: "text" }, 400, "fields");
    await refusedJson({ fields: good(), pageUrl: "javascript:alert(1)" }, 400, "pageUrl");
  });

  it("a body over 16 KB is 413, an unsupported type 415, a GET on submissions 405", async () => {
    const big = await storesNothing(() => submitJson({ fields: good({ message: "x".repeat(17 * 1024) }) }));
    expect(big.status).toBe(413);
    expect(big.json().error?.code).toBe("payload_too_large");
    const multipart = await storesNothing(() =>
      call(`/api/forms/${channelId}/submissions`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "email=a@b.c" }),
    );
    expect(multipart.status).toBe(415);
    expect(multipart.json().error?.code).toBe("unsupported_media_type");
    expect((await call(`/api/forms/${channelId}/submissions`)).status).toBe(405);
  });

  it("JavaScript from an origin that is not allowed is 403", async () => {
    const answer = await refusedJson({ fields: good() }, 403, undefined, { Origin: "https://evil.example" });
    expect(answer.code).toBe("forbidden");
  });

  it("a bad Idempotency-Key is 400", async () => {
    await refusedJson({ fields: good() }, 400, "headers.Idempotency-Key", { "Idempotency-Key": "k".repeat(101) });
  });

  it("a plain HTML post with errors gets an escaped page listing them by label, with a link back", async () => {
    const answer = await storesNothing(() =>
      submitForm({ ...(good({ email: "<b>bad</b>" }) as Record<string, string>), topic: "Nope" }, { Referer: `${SITE}/contact` }),
    );
    expect(answer.status).toBe(400);
    expect(answer.headers.get("content-type")).toContain("text/html");
    expect(answer.text).toContain("<strong>Email</strong>: expected an email address");
    expect(answer.text).toContain("<strong>Topic</strong>: choose one of: Sales, Support");
    expect(answer.text).toContain(`<a href="${SITE}/contact">Go back to the form</a>`);
    expect(answer.text).not.toContain("<b>bad</b>");

    const twice = await storesNothing(() => submitForm(`${new URLSearchParams(good() as Record<string, string>).toString()}&email=b%40example.com`));
    expect(twice.status).toBe(400);
    expect(twice.text).toContain("sent more than once");
  });

  it("a filled honeypot is answered like a success but stores nothing", async () => {
    const json = await storesNothing(() => submitJson({ fields: good({ _hp: "http://spam.example" }) }));
    expect(json.status).toBe(201);
    expect(json.json()).toEqual({ ok: true, message: settingsInput.successMessage });
    const html = await storesNothing(() => submitForm({ ...(good() as Record<string, string>), _hp: "buy now" }));
    expect(html.status).toBe(200);
    expect(html.text).toContain("Thank you");
    // Even with otherwise bad fields: a bot learns nothing from the answer.
    const bad = await storesNothing(() => submitJson({ fields: { _hp: "x", junk: "y" } }));
    expect(bad.status).toBe(201);
  });

  it("too many submissions from one IP are 429 with Retry-After, stored nothing", async () => {
    for (let i = 0; i < FORM_RATE_LIMIT.capacity; i++) expect((await submitJson({ fields: good({ _hp: "x" }) })).status).toBe(201);
    const limited = await storesNothing(() => submitJson({ fields: good() }));
    expect(limited.status).toBe(429);
    expect(limited.json().error?.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const html = await storesNothing(() => submitForm(good() as Record<string, string>));
    expect(html.status).toBe(429);
    expect(html.headers.get("retry-after")).not.toBeNull();
  });
});

describe("idempotency", () => {
  it("a retried submission with the same Idempotency-Key is stored once", async () => {
    const before = counts();
    const first = await submitJson({ fields: good() }, { "Idempotency-Key": "retry-1" });
    const again = await submitJson({ fields: good() }, { "Idempotency-Key": "retry-1" });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.json()).toEqual(first.json());
    const after = counts();
    expect(after.conversations - before.conversations).toBe(1);
    expect(after.tickets - before.tickets).toBe(1);
    // A retry whose body differs (another email) still stores nothing, not even a contact.
    const changed = await submitJson({ fields: good({ email: "someone.else@example.com" }) }, { "Idempotency-Key": "retry-1" });
    expect(changed.status).toBe(201);
    expect(counts()).toEqual(after);
    const other = await submitJson({ fields: good() }, { "Idempotency-Key": "retry-2" });
    expect(other.status).toBe(201);
    expect(counts().tickets - before.tickets).toBe(2);
  });

  it("simultaneous submissions with one key store once", async () => {
    const before = counts();
    const answers = await Promise.all(Array.from({ length: 5 }, () => submitJson({ fields: good({ email: "race@example.com" }) }, { "Idempotency-Key": "race" })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    const after = counts();
    expect(after.conversations - before.conversations).toBe(1);
    expect(after.contacts - before.contacts).toBe(1);
  });
});

describe("settings through the service", () => {
  it("refuses bad settings by path and keeps what was stored", async () => {
    const stored = () => sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId);
    const unchanged = stored();
    const refused = await (await form()).saveSettings(channelId, { ...settingsInput, allowedOrigins: ["https://a.example/path"] }).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(refused) && refused.left instanceof InvalidInput && refused.left.issues[0]!.path).toBe("allowedOrigins[0]");
    expect(stored()).toEqual(unchanged);
    const wrongKind = await (await form()).saveSettings(chatChannelId, settingsInput).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(wrongKind) && wrongKind.left._tag).toBe("NotFound");
  });

  it("hands out snippets that post to the endpoint with one input per field and the honeypot", async () => {
    const view = await (await form()).settings(channelId).pipe(Effect.runPromise);
    expect(view.htmlSnippet).toContain(`<form action="https://parley.example.com/api/forms/${channelId}/submissions" method="post">`);
    for (const key of ["name", "email", "phone", "topic", "message", "_hp"]) expect(view.htmlSnippet).toContain(`name="${key}"`);
    expect(view.jsSnippet).toContain("fetch(");
  });
});

// The plain request helper above uses fetch; this one proves a client that sends its body slowly
// past the cap is cut off with 413 too (the declared length is absent).
describe("streamed bodies", () => {
  it("a chunked body over the cap is 413", async () => {
    const status = await storesNothing(
      () =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(`${base}/api/forms/${channelId}/submissions`, { method: "POST", headers: { "Content-Type": "application/json" } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.write(`{"fields":{"message":"${"x".repeat(20 * 1024)}`);
          req.end(`"}}`);
        }),
    );
    expect(status).toBe(413);
  });
});
