/**
 * GET /inbox/events — the agent UI's live feed (server-sent events): every new conversation,
 * message (internal comments included), typing, status and assignment change in the inboxes
 * the signed-in agent may open, as `event: <kind>` with the InboxEvent as JSON. Admins and
 * agents only (403 otherwise). Pages re-read their data on `open`, so a reconnect misses nothing.
 *
 * A busy bot publishes a few events per visitor message to every feed: each event is framed
 * once for all feeds (`inboxEventFrame`), and a feed writes what one turn of the event loop
 * brought as one chunk, not one write per event. Most of them are the bot's own messages in
 * conversations it still holds, which only the Bot view and their own thread show: a feed hears
 * those only with `?bots=all` (the page on the Bot view), else only of the conversations its
 * person has open (presence, which the open thread reports). Its new conversations, status and
 * assignment changes reach every feed.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { InboxService, inboxEventFrame, Presence, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

const HEARTBEAT_MS = 15_000;

// Open streams end on SIGTERM/SIGINT: the server waits for requests in flight before it stops,
// and an open feed would otherwise hold the shutdown for its whole grace period.
const open = new Set<() => void>();
let hooked = false;
const hookShutdown = () => {
  if (hooked) return;
  hooked = true;
  const endAll = () => {
    for (const end of [...open]) end();
  };
  process.once("SIGTERM", endAll);
  process.once("SIGINT", endAll);
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  hookShutdown();
  const encoder = new TextEncoder();
  let end = () => {};
  const body = new ReadableStream<Uint8Array>({
    start: async (controller) => {
      let ended = false;
      let pending = "";
      const flush = () => {
        const text = pending;
        pending = "";
        if (ended || text === "") return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          end();
        }
      };
      // What arrives in one turn of the event loop (a write group's turns publish together) goes out as one chunk.
      const send = (text: string) => {
        if (ended) return;
        if (pending === "") setImmediate(flush);
        pending += text;
      };
      send("retry: 3000\n\n");
      const allBots = new URL(request.url).searchParams.get("bots") === "all";
      const unsubscribe = await run(
        context,
        Effect.gen(function* () {
          const inbox = yield* InboxService;
          const presence = yield* Presence;
          const hearBot = allBots ? () => true : (conversationId: string) => presence.isViewing(conversationId, user.id);
          return yield* inbox.watch(user, (event) => send(inboxEventFrame(event)), { hearBot });
        }),
      );
      const heartbeat = setInterval(() => send(": heartbeat\n\n"), HEARTBEAT_MS);
      heartbeat.unref?.();
      end = () => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(heartbeat);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // Already closed by the client going away.
        }
      };
      open.add(end);
      if (request.signal.aborted) end();
      else request.signal.addEventListener("abort", () => end(), { once: true });
    },
    cancel: () => end(),
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform keeps the compression middleware from buffering the stream.
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    },
  });
}
