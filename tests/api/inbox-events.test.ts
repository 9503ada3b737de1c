/**
 * GET /inbox/events as its real route module, signed in as the seeded admin with a real session
 * cookie: which of a bot's events each feed carries (decision 059). What a bot says in a
 * conversation it still holds reaches the Bot view's feed (`?bots=all`) and, otherwise, only a
 * feed whose person has that conversation open (presence); the conversation's arrival and its
 * handoff reach every feed. Real parts: the app runtime on a fresh SQLite file (the seed with
 * the example flows), the engine, the presence board, the route module's stream.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/inbox_.events.js";
import { Engine } from "../../runtime/services/engine.js";
import { Presence } from "../../runtime/services/presence.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { Visitors } from "../../runtime/services/visitors.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { signInAdmin } from "../support/thread-post.js";

const BASE = "https://parley.example.com";

let app: TestApp;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;
let leadBot = "";

interface Frame {
  readonly kind: string;
  readonly conversationId: string;
  readonly bot?: boolean;
  readonly data: { readonly author?: string };
}

/** A feed opened through the route: what it has sent so far, and a way to close it. */
const openFeed = async (query = "") => {
  const controller = new AbortController();
  const response = await loader({
    request: new Request(`${BASE}/inbox/events${query}`, { headers: { Cookie: signedIn.cookie }, signal: controller.signal }),
    context: signedIn.context,
    params: {},
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let chunks = 0;
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      chunks++;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return {
    frames: (): Frame[] =>
      text
        .split("\n\n")
        .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
        .filter((line): line is string => line !== undefined)
        .map((line) => JSON.parse(line.slice("data: ".length)) as Frame),
    chunks: () => chunks,
    close: () => controller.abort(),
  };
};

/** Lets the feeds' once-per-turn writes go out. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

beforeAll(async () => {
  app = await startTestApp("inbox-events");
  signedIn = await signInAdmin(app.runtime);
  leadBot = (
    app.sqlite
      .prepare(
        `SELECT c.id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id
         WHERE json_extract(v.spec, '$.id') = 'lead_qualification'`,
      )
      .get() as { id: string }
  ).id;
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

describe("GET /inbox/events", () => {
  it("carries a bot's own messages to the Bot view's feed, and to another feed only while its person has the conversation open", async () => {
    const everyBot = await openFeed("?bots=all");
    const plain = await openFeed();
    try {
      const run = <A, E>(effect: Effect.Effect<A, E, never>) => app.runtime.runPromise(effect as Effect.Effect<A, E, never>);
      const engine = await app.runtime.runPromise(Engine);
      const { visitorId } = await app.runtime.runPromise(Effect.flatMap(Visitors, (v) => v.create({ channelId: SEED_IDS.channel })));
      const view = await run(engine.startConversation({ visitorId, channelId: SEED_IDS.channel, chatflowId: leadBot, pageUrl: "https://shop.example/" }));
      const conversationId = view.conversation.id;
      expect(view.conversation.status).toBe("bot");
      await settle();

      const botMessages = (frames: Frame[]) => frames.filter((f) => f.conversationId === conversationId && f.kind === "message" && f.bot === true);
      const kinds = (frames: Frame[]) => frames.filter((f) => f.conversationId === conversationId).map((f) => f.kind);
      expect(botMessages(everyBot.frames()).length).toBeGreaterThan(0);
      expect(botMessages(plain.frames())).toEqual([]);
      // The arrival of the conversation reaches both: the lists' counts and views change.
      expect(kinds(plain.frames())).toContain("conversation");

      // The admin opens the conversation's thread: from now on the plain feed carries its messages too.
      await app.runtime.runPromise(Effect.flatMap(Presence, (p) => p.view(conversationId, true, { id: SEED_IDS.admin, role: "admin" })));
      const before = plain.frames().length;
      const awaiting = view.awaiting as { readonly choices?: ReadonlyArray<{ readonly id: string }> } | null;
      const answer = awaiting?.choices?.[0] !== undefined ? { choiceIds: [awaiting.choices[0].id] } : { text: "ada@example.com" };
      await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "feed-1", ...answer }));
      await settle();
      const heard = plain.frames().slice(before);
      expect(heard.some((f) => f.conversationId === conversationId && f.kind === "message" && f.bot === true && f.data.author === "visitor")).toBe(true);
      // One event-loop turn's frames went out together, not one write each.
      expect(plain.chunks()).toBeLessThan(plain.frames().length);

      // Closed again: the next turn's messages stay off the plain feed.
      await app.runtime.runPromise(Effect.flatMap(Presence, (p) => p.view(conversationId, false, { id: SEED_IDS.admin, role: "admin" })));
      const after = plain.frames().length;
      const everyBefore = botMessages(everyBot.frames()).length;
      await run(engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "feed-2", text: "ada@example.com" }));
      await settle();
      const later = plain.frames().slice(after).filter((f) => f.conversationId === conversationId && f.kind === "message");
      expect(later.filter((f) => f.bot === true)).toEqual([]);
      expect(botMessages(everyBot.frames()).length).toBeGreaterThan(everyBefore);
    } finally {
      everyBot.close();
      plain.close();
    }
  });
});
