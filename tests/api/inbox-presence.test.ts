/**
 * POST /inbox/:conversationId/presence as its real route module, as the seeded admin with a
 * real session cookie: the answer names who else has the conversation open and the heartbeat;
 * each bad request answers its status and error and leaves the board as it was; a GET is 405.
 * Real parts: the app runtime on a fresh SQLite file (the demo seed), the route module.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/inbox_.$conversationId.presence.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { signInAdmin } from "../support/thread-post.js";

const BASE = "https://parley.example.com";

let app: TestApp;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;
let conversationId = "";

beforeAll(async () => {
  app = await startTestApp("inbox-presence");
  signedIn = await signInAdmin(app.runtime);
  const now = Date.now();
  conversationId = "conv_presence";
  app.sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at)
       VALUES (?, ?, ?, 'open', ?, ?, ?)`,
    )
    .run(conversationId, SEED_IDS.channel, SEED_IDS.inbox, now, now, now);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

const post = async (
  id: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { viewers?: unknown; heartbeatMs?: number; error?: { code?: string; message?: string; path?: string } } }> => {
  const request = new Request(`${BASE}/inbox/${id}/presence`, {
    method: "POST",
    headers: { Cookie: signedIn.cookie, "Content-Type": "application/json", "X-CSRF-Token": signedIn.csrf, ...headers },
    body,
  });
  try {
    const response = (await action({ request, context: signedIn.context, params: { conversationId: id } })) as Response;
    return { status: response.status, body: await response.json() };
  } catch (thrown) {
    const response = thrown as Response;
    return { status: response.status, body: await response.json().catch(() => ({})) };
  }
};

describe("POST /inbox/:id/presence", () => {
  it("answers who else views the conversation (not the asker) and how often to say so", async () => {
    const answer = await post(conversationId, JSON.stringify({ viewing: true }));
    expect(answer).toEqual({ status: 200, body: { viewers: [], heartbeatMs: 20_000 } });
    expect((await post(conversationId, JSON.stringify({ viewing: false }))).status).toBe(200);
  });

  it("refuses a bad body with the field's path, a missing token, and an unknown conversation", async () => {
    const wrongType = await post(conversationId, JSON.stringify({ viewing: "yes" }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toMatchObject({ code: "invalid_input", path: "viewing" });
    const missing = await post(conversationId, JSON.stringify({}));
    expect(missing.status).toBe(400);
    expect(missing.body.error?.path).toBe("viewing");
    expect((await post(conversationId, "not json")).status).toBe(400);
    expect((await post(conversationId, JSON.stringify({ viewing: true, pad: "x".repeat(300) }))).status).toBe(413);
    const noToken = await post(conversationId, JSON.stringify({ viewing: true }), { "X-CSRF-Token": "" });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error?.code).toBe("csrf_failed");
    const unknown = await post("conv_nope", JSON.stringify({ viewing: true }));
    expect(unknown.status).toBe(404);
  });
});

describe("GET /inbox/:id/presence", () => {
  it("answers 405 with Allow: POST and the server's method_not_allowed body, not Remix's 400 for a missing loader", async () => {
    const response = loader();
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
    expect(await response.json()).toEqual({ error: { code: "method_not_allowed", message: "use POST" } });
  });
});
