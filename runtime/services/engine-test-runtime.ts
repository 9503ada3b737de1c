/**
 * For engine tests: the Engine (without webhooks or code) over Chatflows, LiveEvents and a
 * fresh SQLite file in a temp directory, with one inbox and chat channel (`inbox_support`,
 * `chan_web`). `dispose` closes it and removes the directory.
 */
import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as Chatflows from "./chatflows.js";
import * as Config from "./config.js";
import * as Db from "./database.js";
import * as Engine from "./engine.js";
import * as LiveEvents from "./live-events.js";
import type { FlowDocument } from "../../flows/flow-document.js";

export type EngineTestServices = Db.Database | Chatflows.Chatflows | LiveEvents.LiveEvents | Engine.Engine;

export const openEngineRuntime = async (name: string, publicUrl = "https://chat.example.com") => {
  const dir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
  const path = join(dir, "engine.sqlite");
  const config = Config.loadConfig({ DATABASE_PATH: path, PUBLIC_URL: `${publicUrl}/`, SESSION_SECRET: "s".repeat(32) });
  const base = Layer.mergeAll(Db.layer({ path }), LiveEvents.layer, Config.layer(config));
  const chatflows = Chatflows.layer.pipe(Layer.provideMerge(base));
  const noActions: Engine.EngineActionsShape = {
    webhook: () => Effect.die("no webhooks in this test"),
    code: () => Effect.die("no code in this test"),
  };
  const runtime: ManagedRuntime.ManagedRuntime<EngineTestServices, never> = ManagedRuntime.make(
    Engine.layerWithActions(noActions).pipe(Layer.provideMerge(chatflows)),
  );
  const db = await runtime.runPromise(Db.Database);
  db.sqlite.exec(`
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_support', 'Support', 0);
    INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES ('chan_web', 'inbox_support', 'chat', 'Web', '{}', 0);
  `);
  let visitors = 0;
  return {
    runtime,
    db,
    /** Creates, publishes and enables a flow on a channel (default `chan_web`). */
    publishFlow: (id: string, document: FlowDocument, channelId = "chan_web") =>
      runtime.runPromise(
        Effect.gen(function* () {
          const flows = yield* Chatflows.Chatflows;
          yield* flows.create({ id, name: document.name, kind: document.kind, document, channelId });
          yield* flows.publish(id);
          yield* flows.setEnabled(id, true);
        }),
      ),
    /** A new visitor (a contact's, when given) starts the flow; the engine, the visitor and the opening view. */
    startChat: async (chatflowId: string, options: { readonly channelId?: string; readonly contactId?: string | null } = {}) => {
      const visitorId = `visitor_${++visitors}`;
      const channelId = options.channelId ?? "chan_web";
      db.sqlite
        .prepare("INSERT INTO visitors (id, channel_id, contact_id, device, language, first_seen_at, last_seen_at) VALUES (?, ?, ?, 'desktop', 'en', 0, 0)")
        .run(visitorId, channelId, options.contactId ?? null);
      const engine = await runtime.runPromise(Engine.Engine);
      const view = await runtime.runPromise(engine.startConversation({ visitorId, channelId, chatflowId, pageUrl: "https://example.com/" }));
      return { engine, visitorId, conversationId: view.conversation.id, view };
    },
    dispose: async () => {
      await runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
