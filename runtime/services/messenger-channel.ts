/**
 * Messenger channels: a Facebook page's conversations in the inbox.
 *
 * - Settings: the page id, app secret and page access token (stored in `channels.config`, shown
 *   again only as a four-character hint), a verify token Parley makes for Facebook's
 *   subscription check, and the chatflow that answers new conversations. The first save with a
 *   page id connects the page and creates, publishes and switches on a default bot chatflow on
 *   the channel (messenger-settings.ts `defaultFlowDocument`).
 * - Webhook: each signed body's visitor messages (messenger-events.ts) are stored before the
 *   webhook answers, one visitor at a time, once per `mid`: in the visitor's bot conversation
 *   through the engine (a quick reply is its choice), in an open or pending one as a message
 *   for the team, or else in a new conversation started on the channel's chatflow (or opened
 *   for the team when there is none). The message's files are fetched from Meta's CDN first
 *   (messenger-files.ts) and stored with it; one that cannot be is listed with the reason.
 * - Sending: the channel's Sender for the outbox (deliveries.ts) posts bot and agent messages to
 *   the Send API (messenger-send.ts), inside the 24-hour window, with quick replies for choices;
 *   an agent's reply up to 7 days later goes with the HUMAN_AGENT tag when the channel uses it.
 *   A long message goes in parts, and an agent's files after its text, one multipart upload per
 *   file (Messenger takes one attachment per message); each part sent is recorded in
 *   `external_messages` as it goes, so a retry after a failed part sends only the parts not sent yet.
 *
 * Every name this module exports starts with Messenger/messenger: app/runtime.server.ts
 * re-exports them all.
 */
import { randomBytes } from "node:crypto";
import { Context, Effect, Either, Exit, Layer } from "effect";
import { attachmentFilesOf, attachmentIdsOf, attachmentInsert } from "./attachments.js";
import { now } from "./clock.js";
import { Channels, parseJsonObject } from "./channels.js";
import { Chatflows } from "./chatflows.js";
import { AppConfig } from "./config.js";
import { Database } from "./database.js";
import { Deliveries, SendFailed, type Outbound, type Sender } from "./deliveries.js";
import { Engine, makeKeyedLock } from "./engine.js";
import { Forbidden, InvalidInput, NotFound, Unauthenticated } from "./errors.js";
import {
  checkHandshake,
  checkSignature,
  clientMessageIdFor,
  openingAnswer,
  parseWebhookJson,
  visitorMessages,
  WebhookBody,
  type HandshakeOutcome,
  type InboundMessage,
} from "./messenger-events.js";
import { LiveEvents } from "./live-events.js";
import { messengerFetchFiles, type MessengerFiles } from "./messenger-files.js";
import {
  graphIdOfPart,
  partFailureLabel,
  partKey,
  partRecord,
  readGraphAnswer,
  replyMode,
  sendBodyFor,
  sendFileForm,
  sendMessagesFor,
  sendPartsFor,
} from "./messenger-send.js";
import { checkSettings, defaultFlowDocument, hintOf, mergeSettings, readStoredConfig, webhookUrlFor } from "./messenger-settings.js";
import { OutsideConversations } from "./outside-conversations.js";
import { decodeWith } from "../../flows/decode.js";

export { signBody as messengerSignBody } from "./messenger-events.js";
export { MAX_QUICK_REPLIES as MESSENGER_MAX_QUICK_REPLIES } from "./messenger-send.js";

/** The conversation's page for a Messenger conversation: the Facebook page itself. Pure. */
export const messengerPageUrl = (pageId: string): string => `https://www.facebook.com/${encodeURIComponent(pageId)}`;

/** Largest webhook body accepted (bytes); Facebook batches at most a few hundred events. */
export const MESSENGER_MAX_BODY_BYTES = 1024 * 1024;
/** How long one Send API request may take. */
export const MESSENGER_SEND_TIMEOUT_MS = 10_000;
/** How long one file's upload to the Send API may take: up to 10 MB goes up, and Meta stores it before it answers. */
export const MESSENGER_UPLOAD_TIMEOUT_MS = 60_000;

export interface MessengerSecretView {
  readonly configured: boolean;
  readonly hint: string | null;
}

/** What the settings page shows: never a secret itself. */
export interface MessengerSettings {
  readonly channelId: string;
  readonly connected: boolean;
  readonly pageId: string | null;
  readonly appSecret: MessengerSecretView;
  readonly pageAccessToken: MessengerSecretView;
  readonly verifyToken: string;
  readonly webhookUrl: string;
  readonly chatflowId: string | null;
  /** Whether agents' late replies (24 h – 7 d) go with Messenger's HUMAN_AGENT tag. */
  readonly humanAgentTag: boolean;
  /** The bot chatflows of this channel the admin can choose from; `live` when published and on. */
  readonly chatflows: ReadonlyArray<{ readonly id: string; readonly name: string; readonly live: boolean }>;
}

export interface MessengerReceived {
  /** Visitor messages stored now. */
  readonly stored: number;
  /** Visitor messages seen before (a redelivery): not stored again. */
  readonly duplicates: number;
}

export interface MessengerChannelShape {
  /** The channel's settings for its page (makes its verify token the first time). */
  readonly settings: (channelId: string) => Effect.Effect<MessengerSettings, NotFound>;
  /**
   * Saves the admin's form (`{pageId, appSecret, pageAccessToken, chatflowId}`, all strings; an
   * empty secret keeps the stored one; `humanAgentTag` "on"/"off", left out keeps the stored one). The first save with a page id connects the page and
   * creates its default chatflow, which then answers new conversations.
   */
  readonly saveSettings: (
    channelId: string,
    input: unknown,
    userId?: string,
  ) => Effect.Effect<{ readonly settings: MessengerSettings; readonly createdChatflowId: string | null }, NotFound | InvalidInput>;
  /** Facebook's subscription check: the challenge to echo, or why not. */
  readonly handshake: (channelId: string, query: URLSearchParams) => Effect.Effect<HandshakeOutcome, NotFound>;
  /**
   * Checks a webhook body's signature, decodes it and stores its visitor messages before it
   * succeeds (Facebook retries otherwise). Unauthenticated: no signature; Forbidden: a wrong one
   * or a channel that is not connected; InvalidInput: not a page event body. Nothing is stored
   * on any failure.
   */
  readonly receive: (
    channelId: string,
    rawBody: Buffer,
    signature: string | undefined,
  ) => Effect.Effect<MessengerReceived, NotFound | Unauthenticated | Forbidden | InvalidInput>;
  /** The outbox's sender for Messenger channels (registered when the layer is built). */
  readonly send: Sender;
}

export class MessengerChannel extends Context.Tag("MessengerChannel")<MessengerChannel, MessengerChannelShape>() {}

const decodeBody = decodeWith(WebhookBody);

/** OutsideConversations' fields for a message's files: the rows, and the payload's list of them (nothing when there are none). Pure. */
const withFiles = (files: MessengerFiles): { attachments?: MessengerFiles["rows"]; payload?: Record<string, unknown> } =>
  files.entries.length === 0 ? {} : { attachments: files.rows, payload: { attachments: files.entries } };

const newVerifyToken = () => randomBytes(24).toString("base64url");

export const messengerChannelLayer = Layer.effect(
  MessengerChannel,
  Effect.gen(function* () {
    const config = yield* AppConfig;
    const db = yield* Database;
    const channels = yield* Channels;
    const chatflows = yield* Chatflows;
    const engine = yield* Engine;
    const outside = yield* OutsideConversations;
    const deliveries = yield* Deliveries;
    const live = yield* LiveEvents;
    // One visitor's messages are handled one at a time, so two quick messages cannot open two conversations.
    const lock = makeKeyedLock();

    // ---- settings ----

    const channelChatflows = (channelId: string) =>
      (
        db
          .prepare(
            `SELECT id, name, enabled, published_version_id FROM chatflows
              WHERE channel_id = ? AND archived_at IS NULL AND kind = 'bot' ORDER BY priority, created_at, id`,
          )
          .all(channelId) as Array<{ id: string; name: string; enabled: number; published_version_id: string | null }>
      ).map((row) => ({ id: row.id, name: row.name, live: row.enabled === 1 && row.published_version_id !== null }));

    const view = (channelId: string, stored: Record<string, unknown>): MessengerSettings => {
      const c = readStoredConfig(stored);
      return {
        channelId,
        connected: c.pageId !== null && c.appSecret !== null && c.pageAccessToken !== null,
        pageId: c.pageId,
        appSecret: { configured: c.appSecret !== null, hint: hintOf(c.appSecret) },
        pageAccessToken: { configured: c.pageAccessToken !== null, hint: hintOf(c.pageAccessToken) },
        verifyToken: c.verifyToken ?? "",
        webhookUrl: webhookUrlFor(config.publicUrl, channelId),
        chatflowId: c.chatflowId,
        humanAgentTag: c.humanAgentTag,
        chatflows: channelChatflows(channelId),
      };
    };

    const settings: MessengerChannelShape["settings"] = Effect.fn("MessengerChannel.settings")(function* (channelId: string) {
      let stored = yield* channels.readConfig(channelId, "messenger");
      if (readStoredConfig(stored).verifyToken === null) {
        // Made once, so the admin can paste it into Facebook before anything else is filled in.
        stored = yield* channels.writeConfig(channelId, "messenger", (current) =>
          Either.right(readStoredConfig(current).verifyToken === null ? { ...current, verifyToken: newVerifyToken() } : current),
        );
      }
      return view(channelId, stored);
    });

    /** Creates, publishes and switches on the default chatflow of a newly connected page. */
    const createDefaultChatflow = (channelId: string, userId: string | undefined) =>
      Effect.gen(function* () {
        const channel = yield* channels.get(channelId);
        const name = `${channel.name} bot`.slice(0, 200);
        const created = yield* chatflows.create({
          name,
          kind: "bot",
          document: defaultFlowDocument(`messenger_${channelId}`, name),
          channelId,
          ...(userId !== undefined ? { createdBy: userId } : {}),
        });
        yield* chatflows.publish(created.id, userId);
        yield* chatflows.setEnabled(created.id, true);
        return created.id;
      }).pipe(
        // The default flow is fixed and compiles; failing to build it is a bug, not the admin's input.
        Effect.catchTag("InvalidInput", (error) => Effect.die(error)),
      );

    const saveSettings: MessengerChannelShape["saveSettings"] = Effect.fn("MessengerChannel.saveSettings")(function* (
      channelId: string,
      input: unknown,
      userId?: string,
    ) {
      const decoded = checkSettings(yield* channels.readConfig(channelId, "messenger"), input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const chosen = decoded.right.chatflowId;
      if (chosen !== "" && !channelChatflows(channelId).some((flow) => flow.id === chosen)) {
        return yield* Effect.fail(new InvalidInput({ issues: [{ path: "chatflowId", message: "choose a bot chatflow of this channel" }] }));
      }
      const stored = yield* channels.writeConfig(channelId, "messenger", (current) =>
        Either.mapLeft(mergeSettings(current, decoded.right, newVerifyToken), (issues) => new InvalidInput({ issues })),
      );
      let createdChatflowId: string | null = null;
      let latest = stored;
      if (readStoredConfig(stored).defaultChatflowId === null) {
        // Connecting the page: it gets a bot at once, which answers unless another was chosen.
        createdChatflowId = yield* createDefaultChatflow(channelId, userId);
        const flowId = createdChatflowId;
        latest = yield* channels.writeConfig(channelId, "messenger", (current) =>
          Either.right({
            ...current,
            defaultChatflowId: readStoredConfig(current).defaultChatflowId ?? flowId,
            chatflowId: readStoredConfig(current).chatflowId ?? (chosen === "" ? flowId : chosen),
          }),
        );
      }
      return { settings: view(channelId, latest), createdChatflowId };
    });

    // ---- webhook ----

    const handshake: MessengerChannelShape["handshake"] = (channelId, query) =>
      Effect.map(channels.readConfig(channelId, "messenger"), (stored) => checkHandshake(query, readStoredConfig(stored).verifyToken));

    const seenMid = (channelId: string, mid: string): boolean =>
      db.prepare("SELECT 1 FROM external_messages WHERE channel_id = ? AND external_id = ?").get(channelId, mid) !== undefined;

    /** The stored visitor message of a bot turn, found by its client message id among this visitor's conversations. */
    const engineMessage = (channelId: string, visitorId: string, clientMessageId: string) =>
      db
        .prepare(
          `SELECT m.id, m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.visitor_id = ? AND c.channel_id = ? AND m.client_message_id = ? LIMIT 1`,
        )
        .get(visitorId, channelId, clientMessageId) as { id: number; conversation_id: string } | undefined;

    /**
     * After the engine's turn: records the inbound mid (so a redelivery is dropped whatever the
     * conversation's status by then) and stores the message's files, attached to the message the
     * engine stored, with their list merged into its payload. A second write, because the
     * engine's turn (one transaction for the message, the bot's answer and its events) has no
     * place for files, and engine.ts stays the same for every channel. Should Parley stop
     * between the two writes, the message is kept without its files; a redelivery is still
     * found by its client message id (the mid) and dropped, so the files are not fetched again.
     */
    const afterBotTurn = (channelId: string, mid: string, conversationId: string, messageId: number, files: MessengerFiles) =>
      Effect.gen(function* () {
        const stored = yield* Effect.orDie(
          db.writeEffect((sqlite): string | null => {
            const at = now();
            sqlite
              .prepare(
                `INSERT OR IGNORE INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
                 VALUES (?, ?, ?, ?, 'in', ?)`,
              )
              .run(channelId, mid, conversationId, messageId, at);
            if (files.entries.length === 0) return null;
            // Once: should this run twice for one message, its ids would be new, and its files twice.
            if (attachmentIdsOf(sqlite, messageId).length > 0) return null;
            attachmentInsert(sqlite, conversationId, messageId, files.rows, at);
            const row = sqlite.prepare("SELECT payload FROM messages WHERE id = ?").get(messageId) as { payload: string | null } | undefined;
            sqlite.prepare("UPDATE messages SET payload = ? WHERE id = ?").run(JSON.stringify({ ...parseJsonObject(row?.payload ?? ""), attachments: files.entries }), messageId);
            return (sqlite.prepare("SELECT inbox_id FROM conversations WHERE id = ?").get(conversationId) as { inbox_id: string }).inbox_id;
          }),
        );
        // The message was already on agents' screens without its files: an agents-only event makes an open thread read it again.
        if (stored !== null) {
          yield* live.publish({ conversationId, inboxId: stored, kind: "conversation", internal: true, data: { change: "files", messageId: String(messageId) } });
        }
      });

    /**
     * Hands a message to the engine for a bot conversation. Should the engine refuse it (the
     * conversation closed a moment ago, say), the message is still stored there for the team.
     */
    const toBot = (
      channelId: string,
      conversationId: string,
      visitorId: string,
      message: InboundMessage,
      files: MessengerFiles,
      choiceIds: readonly [string] | null,
    ) =>
      Effect.gen(function* () {
        const clientMessageId = clientMessageIdFor(message.mid);
        const exit = yield* Effect.exit(
          engine.handleVisitorMessage({
            conversationId,
            visitorId,
            clientMessageId,
            ...(choiceIds !== null ? { choiceIds } : { text: message.text }),
          }),
        );
        if (Exit.isFailure(exit)) {
          yield* outside.append({ conversationId, text: message.text, externalMessageId: message.mid, ...withFiles(files) });
          return;
        }
        const stored = engineMessage(channelId, visitorId, clientMessageId);
        if (stored) yield* afterBotTurn(channelId, message.mid, stored.conversation_id, stored.id, files);
      });

    /** The quick reply's choice when the bot awaits it now; else the message goes as text. */
    const botChoice = (conversationId: string, visitorId: string, message: InboundMessage) =>
      message.quickReplyPayload === null
        ? Effect.succeed(null)
        : Effect.map(
            Effect.either(engine.getConversation({ conversationId, visitorId })),
            (found) => {
              if (Either.isLeft(found)) return null;
              const choices = found.right.awaiting?.choices ?? [];
              return choices.some((c) => c.id === message.quickReplyPayload) ? ([message.quickReplyPayload!] as const) : null;
            },
          );

    /** Starts the channel's chatflow for a visitor's first message (or opens a conversation for the team). */
    const startFor = (channelId: string, pageId: string, visitorId: string, chatflowId: string | null, message: InboundMessage, files: MessengerFiles) =>
      Effect.gen(function* () {
        // The page on Facebook, so the inbox's "page" fact is a working link to where the visitor wrote.
        const pageUrl = messengerPageUrl(pageId);
        const started =
          chatflowId === null
            ? null
            : yield* Effect.either(engine.startConversation({ visitorId, channelId, chatflowId, pageUrl }));
        if (started === null || Either.isLeft(started)) {
          // No chatflow (or it is switched off, unpublished, gone): the team answers.
          yield* outside.open({
            channelId,
            visitorId,
            contactId: null,
            text: message.text,
            via: "messenger",
            externalMessageId: message.mid,
            pageUrl,
            ...withFiles(files),
          });
          return;
        }
        const conversationId = started.right.conversation.id;
        const answer = started.right.conversation.status === "bot" ? openingAnswer(message, started.right.awaiting) : null;
        if (answer !== null) return yield* toBot(channelId, conversationId, visitorId, message, files, "choiceIds" in answer ? answer.choiceIds : null);
        // Not an answer to the bot's first question: kept in the transcript, and the bot waits for the next message.
        yield* outside.append({ conversationId, text: message.text, externalMessageId: message.mid, ...withFiles(files) });
      });

    const handleMessage = (channelId: string, pageId: string, chatflowId: string | null, message: InboundMessage) =>
      Effect.gen(function* () {
        if (seenMid(channelId, message.mid)) return "duplicate" as const;
        const { visitorId } = yield* outside.visitorFor({ channelId, externalId: message.psid });
        if (engineMessage(channelId, visitorId, clientMessageIdFor(message.mid))) return "duplicate" as const;
        // Fetched before anything is stored (and never for a redelivery, dropped above), 3 at a
        // time within 15 s so the webhook still answers in Facebook's time: the message and its
        // files go in together, and a file that fails or comes too late only leaves a note.
        const files = yield* messengerFetchFiles(message.files, { graphUrl: config.messengerGraphUrl });
        const latest = db
          .prepare(
            `SELECT id, status FROM conversations WHERE visitor_id = ? AND channel_id = ? AND is_preview = 0 AND status != 'closed'
              ORDER BY created_at DESC, rowid DESC LIMIT 1`,
          )
          .get(visitorId, channelId) as { id: string; status: string } | undefined;
        if (latest?.status === "bot") {
          const choice = yield* botChoice(latest.id, visitorId, message);
          yield* toBot(channelId, latest.id, visitorId, message, files, choice);
          return "stored" as const;
        }
        if (latest) {
          const appended = yield* outside.append({ conversationId: latest.id, text: message.text, externalMessageId: message.mid, ...withFiles(files) });
          return appended.duplicate ? ("duplicate" as const) : ("stored" as const);
        }
        yield* startFor(channelId, pageId, visitorId, chatflowId, message, files);
        return "stored" as const;
      }).pipe(
        // The channel was there a moment ago; a NotFound now means it was deleted meanwhile.
        Effect.catchTag("NotFound", (error) => Effect.die(error)),
      );

    const receive: MessengerChannelShape["receive"] = Effect.fn("MessengerChannel.receive")(function* (
      channelId: string,
      rawBody: Buffer,
      signature: string | undefined,
    ) {
      const c = readStoredConfig(yield* channels.readConfig(channelId, "messenger"));
      if (c.appSecret === null || c.pageId === null) {
        return yield* Effect.fail(new Forbidden({ message: "this Messenger channel is not connected yet: save its page id and app secret first" }));
      }
      const checked = checkSignature(rawBody, signature, c.appSecret);
      if (checked === "missing") return yield* Effect.fail(new Unauthenticated({ message: "the X-Hub-Signature-256 header is missing" }));
      if (checked === "invalid") {
        return yield* Effect.fail(new Forbidden({ message: "the X-Hub-Signature-256 signature does not match the body and this channel's app secret" }));
      }
      const json = parseWebhookJson(rawBody);
      if (Either.isLeft(json)) return yield* Effect.fail(new InvalidInput({ issues: [json.left] }));
      const body = decodeBody(json.right);
      if (Either.isLeft(body)) return yield* Effect.fail(new InvalidInput({ issues: body.left }));
      const pageId = c.pageId;
      const outcomes = yield* Effect.forEach(visitorMessages(body.right, pageId), (message) =>
        lock.withLock(`${channelId}:${message.psid}`, handleMessage(channelId, pageId, c.chatflowId, message)),
      ).pipe(
        // Whatever was stored (also before a failure) may have replies to send.
        Effect.ensuring(Effect.sync(() => deliveries.wake())),
      );
      const stored = outcomes.filter((outcome) => outcome === "stored").length;
      return { stored, duplicates: outcomes.length - stored };
    });

    // ---- sending ----

    const permanent = (reason: string) => Effect.fail(new SendFailed({ reason, permanent: true }));

    /** The recorded external id of a part already sent, or undefined. Keys end in ":", so ";" bounds the range. */
    const sentPart = (channelId: string, key: string) =>
      (
        db
          .prepare("SELECT external_id FROM external_messages WHERE channel_id = ? AND external_id >= ? AND external_id < ? LIMIT 1")
          .get(channelId, key, key.slice(0, -1) + ";") as { external_id: string } | undefined
      )?.external_id;

    /**
     * Records a part as sent, before the next part goes: its key (so a retry skips it) and, as
     * for any reply, Graph's message id for the message.
     */
    const recordPart = (message: Outbound, key: string, graphId: string | null) =>
      db
        .writeEffect((sqlite) => {
          const insert = sqlite.prepare(
            `INSERT OR IGNORE INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
             VALUES (?, ?, ?, ?, 'out', ?)`,
          );
          const at = now();
          insert.run(message.channelId, partRecord(key, graphId), message.conversationId, message.messageId, at);
          if (graphId !== null) insert.run(message.channelId, graphId, message.conversationId, message.messageId, at);
        })
        .pipe(
          // The part went out but is not recorded: a retry may send it again, which is the lesser harm than dropping the rest.
          Effect.mapError(() => new SendFailed({ reason: "a part was sent but could not be recorded; the rest waits for a retry", permanent: false })),
        );

    /**
     * Posts one Send API request — a JSON body, or a file's multipart form (fetch sets its
     * boundary) — within `timeoutMs`; the answer's status and text, or a retryable failure when
     * Graph could not be reached.
     */
    const post = (url: string, body: string | FormData, timeoutMs = MESSENGER_SEND_TIMEOUT_MS) =>
      Effect.tryPromise({
        try: async () => {
          const response = await fetch(url, {
            method: "POST",
            ...(typeof body === "string" ? { headers: { "Content-Type": "application/json" } } : {}),
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          return { status: response.status, text: await response.text() };
        },
        catch: (error) =>
          new SendFailed({
            reason: `could not reach Messenger: ${error instanceof Error && error.name === "TimeoutError" ? `no answer in ${timeoutMs / 1000} s` : String(error instanceof Error ? error.message : error)}`,
            permanent: false,
          }),
      });

    const send: Sender = (message: Outbound) =>
      Effect.gen(function* () {
        // An agent's files are stored with the reply (Inbox.reply); one listed but not stored would
        // leave the visitor without it, so such a reply is not sent at all.
        const files = attachmentFilesOf(db.prepare, message.messageId);
        const listed = Array.isArray(message.payload?.attachments) ? message.payload.attachments.length : 0;
        if (listed > files.length) {
          return yield* permanent(
            `this reply lists ${listed} ${listed === 1 ? "file" : "files"} but ${files.length === 0 ? "none is" : `only ${files.length} ${files.length === 1 ? "is" : "are"}`} stored, so the visitor would get it without the rest; send it again with its files attached`,
          );
        }
        const c = readStoredConfig(message.config);
        if (c.pageAccessToken === null) return yield* permanent("this Messenger channel has no page access token; add it in Settings → Channels");
        const who = db
          .prepare(
            `SELECT ci.external_id AS psid, c.visitor_id FROM conversations c
               JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
              WHERE c.id = ? LIMIT 1`,
          )
          .get(message.conversationId) as { psid: string; visitor_id: string } | undefined;
        if (!who) return yield* permanent("this conversation has no Messenger recipient");
        const last = db
          .prepare(
            `SELECT max(m.created_at) AS at FROM messages m JOIN conversations c ON c.id = m.conversation_id
              WHERE c.visitor_id = ? AND c.channel_id = ? AND m.author = 'visitor'`,
          )
          .get(who.visitor_id, message.channelId) as { at: number | null };
        // Judged at each try: a retry after the 24 hours of a reply that first failed inside them needs the tag.
        const mode = replyMode(last.at, now(), message.author, c.humanAgentTag);
        if (mode.kind === "closed") return yield* permanent(mode.reason);
        const url = `${config.messengerGraphUrl}/me/messages?access_token=${encodeURIComponent(c.pageAccessToken)}`;
        // The text's parts, then one upload per file: each is a part, recorded once sent like a long text's.
        const parts = sendPartsFor(sendMessagesFor(message.text, message.payload), files);
        let externalId: string | undefined;
        for (const [index, part] of parts.entries()) {
          const key = partKey(message.messageId, index, parts.length, part.kind === "file" ? part.file : part.message);
          const recorded = sentPart(message.channelId, key);
          if (recorded !== undefined) {
            // Sent by an earlier try that failed on a later part: Messenger has it already.
            externalId = graphIdOfPart(key, recorded) ?? externalId;
            continue;
          }
          const answer =
            part.kind === "file"
              ? yield* post(url, sendFileForm(who.psid, mode.kind, part.file), MESSENGER_UPLOAD_TIMEOUT_MS)
              : yield* post(url, JSON.stringify(sendBodyFor(who.psid, mode.kind, part.message)));
          const outcome = readGraphAnswer(answer.status, answer.text, mode.kind === "humanAgent");
          if (outcome.kind !== "sent") {
            // Which part, so the agent knows the visitor already has the text (and files) before it.
            const label = partFailureLabel(index, parts.length, part);
            const reason = label === null ? outcome.reason : `${label}: ${outcome.reason}`;
            return yield* Effect.fail(new SendFailed({ reason, permanent: outcome.kind === "failed" }));
          }
          if (parts.length > 1) yield* recordPart(message, key, outcome.messageId);
          externalId = outcome.messageId ?? externalId;
        }
        return { externalId };
      });

    deliveries.register("messenger", send);

    return { settings, saveSettings, handshake, receive, send };
  }),
);
