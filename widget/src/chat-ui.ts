/**
 * public/widget/chat-ui.js — the chat UI chunk, loaded by the loader on first need. It owns the
 * conversation: the visitor token, starting or resuming the conversation, sending (once per
 * click, retried with the same clientMessageId), files (a visitor's upload while people hold
 * the conversation; every message's files shown through blob: URLs fetched with the token), the
 * bot's typing delays, the live stream, the away views, the rating card once a conversation with
 * the team is closed (with "Email me this conversation" when the inbox can send it), and the JS API calls that talk to the server (identify, setAttributes, reset).
 */
import { chat as deChat, launcher as deLauncher } from "../i18n/de.js";
import { chat as enChat, launcher as enLauncher, type ChatStrings, type LauncherStrings } from "../i18n/en.js";
import { ApiError, createApi } from "./api.js";
import { format, pickLanguage } from "./i18n.js";
import { compareIds, latestId, messagesOf } from "./messages.js";
import { createFileUrls, fileRefusal, MAX_FILE_BYTES, sizeLabel } from "./files.js";
import { armPopOpen } from "./pop-open.js";
import { ratingBody, ratingCardFor, readRating, readRatingState, type Score } from "./rating.js";
import { createRatingCard, type RatingCardView } from "./rating-card.js";
import { createSeenMarker } from "./seen.js";
import { createTranscriptCard, transcriptBody } from "./transcript-card.js";
import { browserStore, storageKey } from "./storage.js";
import { connectStream, type StreamHandle } from "./stream.js";
import { PANEL_CSS } from "./styles.js";
import {
  CHUNK_EVENT,
  type AttributesResult,
  type Awaiting,
  type ChatController,
  type Chatflow,
  type ChunkFactory,
  type ConversationRef,
  type IdentifyResult,
  type Message,
} from "./types.js";
import { randomUuid } from "./uuid.js";
import { checkAttributes, checkIdentify } from "./validate.js";
import { createPanelView, type PendingBubble } from "./view.js";

/** A bot message's typing delay is capped: a flow's typo must not freeze the chat. */
const MAX_TYPING_MS = 5000;
/** An agent's "typing" that never says it stopped is hidden after this long. */
const AGENT_TYPING_TIMEOUT_MS = 10_000;

interface ConversationAnswer {
  readonly conversation?: ConversationRef;
  readonly messages?: unknown;
  readonly awaiting?: Awaiting | null;
}

interface SendAnswer {
  readonly messages?: unknown;
  readonly awaiting?: Awaiting | null;
  readonly status?: string;
}

type Payload = { readonly text: string } | { readonly choice: string | ReadonlyArray<string> };

interface Attempt {
  readonly clientMessageId: string;
  readonly payload: Payload;
  readonly bubble: PendingBubble;
}

const stringsFor = (chatflow: Chatflow | null): readonly [ChatStrings, LauncherStrings] =>
  pickLanguage(chatflow?.language, navigator.languages ?? []) === "de" ? [deChat, deLauncher] : [enChat, enLauncher];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const createWidget: ChunkFactory = (host) => {
  const api = createApi(host.origin, host.channel);
  const local = browserStore("localStorage");
  const session = browserStore("sessionStorage");
  const conversationKey = storageKey(host.channel, "conversation");
  const path = (id: string, rest = "") => `/api/conversations/${encodeURIComponent(id)}${rest}`;

  let chatflow = host.chatflow();
  let [strings, launcherStrings] = stringsFor(chatflow);
  let isOpen = false;
  let unread = 0;
  let armedFor = "";
  let disarm = () => {};

  let conversation: ConversationRef | null = null;
  // The stored conversation is gone (404/403): a new one starts when the visitor writes.
  let stale = false;
  let starting: Promise<void> | null = null;
  const known = new Set<string>();
  let lastSeen: string | undefined;
  // The newest message in the panel's log (not one still waiting for its typing delay).
  let shown: string | undefined;
  let stream: StreamHandle | null = null;
  const dropStream = () => {
    stream?.close();
    stream = null;
  };

  const queue: Array<{ readonly message: Message; readonly delay: number; readonly notify: boolean }> = [];
  let draining = false;
  let awaiting: Awaiting | null = null;
  let deferredAwaiting: Awaiting | null | undefined;
  let busy = false;
  const pending = new Set<Attempt>();
  const typingSources = new Set<"bot" | "agent">();
  let agentTypingTimer: ReturnType<typeof setTimeout> | undefined;

  const style = document.createElement("style");
  style.textContent = PANEL_CSS;
  host.root.append(style);
  const badge = document.createElement("span");
  badge.className = "n";
  badge.setAttribute("aria-hidden", "true");
  host.launcher.append(badge);
  host.launcher.setAttribute("aria-controls", "parley-panel");

  /** The unread badge, and the count in the launcher's name for screen readers. */
  const setUnread = (count: number) => {
    unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    host.launcher.setAttribute("aria-label", count ? `${launcherStrings.label} (${format(strings.unread, { count })})` : launcherStrings.label);
  };

  const close = () => {
    if (!isOpen) return;
    const hadFocus = view.contains(host.root.activeElement);
    isOpen = false;
    if (conversation?.status === "closed") dropStream();
    view.hide();
    host.setExpanded(false);
    if (hadFocus && host.launcher.isConnected) host.launcher.focus();
  };

  // Files are fetched from the conversation they were shown in (the server checks it is the visitor's).
  const fileUrls = createFileUrls((key) => {
    const [conversationId, attachmentId] = key.split("\n") as [string, string];
    return api.blob(path(conversationId, `/attachments/${encodeURIComponent(attachmentId)}`));
  });

  const view = createPanelView(host.root, strings, {
    onClose: () => {
      close();
      if (host.launcher.isConnected) host.launcher.focus();
    },
    onSend: (text) => void send({ text }, text),
    onChoose: (ids, label, multiple) => void send({ choice: multiple ? ids : ids[0] }, label),
    onFile: (file) => void sendFile(file),
    fileUrl: (attachment) => (conversation ? fileUrls.url(`${conversation.id}\n${attachment.id}`) : Promise.reject(new Error("no conversation"))),
  });

  /** The attach button is there while people hold the conversation: the bot takes answers, not files. */
  const syncAttach = () => view.setCanAttach(conversation !== null && (conversation.status === "open" || conversation.status === "pending"));

  const setTyping = (source: "bot" | "agent", on: boolean) => {
    if (on) typingSources.add(source);
    else typingSources.delete(source);
    view.setTyping(typingSources.size > 0);
  };

  const setAwaiting = (next: Awaiting | null) => {
    // Choices belong under the question: wait until the bot's queued messages are shown.
    if (draining || queue.length > 0) deferredAwaiting = next;
    else {
      awaiting = next;
      view.setAwaiting(next);
    }
  };

  const seen = createSeenMarker({
    state: () => ({ conversationId: conversation?.id ?? null, open: isOpen, visible: document.visibilityState === "visible", newest: shown }),
    post: (id, through) => api.call("POST", path(id, "/seen"), { through }),
    // Refused for good (the conversation is gone, the id is not in it): the same id would be again.
    retryable: (error) => !(error instanceof ApiError) || error.retryable,
  });
  document.addEventListener("visibilitychange", seen.check);

  const show = (message: Message, notify: boolean) => {
    view.addMessage(message);
    shown = latestId([message], shown);
    seen.check();
    if (!notify) return;
    host.emit("message", message);
    if (!isOpen && message.author !== "visitor") setUnread(unread + 1);
  };

  const drain = async () => {
    if (draining) return;
    draining = true;
    while (queue.length > 0) {
      const { message, delay, notify } = queue.shift()!;
      if (delay > 0) {
        setTyping("bot", true);
        await sleep(delay);
        setTyping("bot", false);
      }
      show(message, notify);
    }
    draining = false;
    if (deferredAwaiting !== undefined) {
      const next = deferredAwaiting;
      deferredAwaiting = undefined;
      setAwaiting(next);
    }
  };

  /**
   * Adds messages from any source exactly once, in id order. `animate`: bot messages wait for
   * their typing delay, one after another. `notify`: new to the visitor (events, unread badge).
   */
  const ingest = (messages: ReadonlyArray<Message>, animate: boolean, notify: boolean) => {
    const fresh = messages.filter((message) => !known.has(message.id)).sort((a, b) => compareIds(a.id, b.id));
    for (const message of fresh) {
      known.add(message.id);
      lastSeen = latestId([message], lastSeen);
      if (message.author === "visitor") {
        // The stream may bring the stored copy of a message before its POST has answered.
        for (const attempt of pending) {
          if (attempt.bubble.text === message.text) {
            attempt.bubble.remove();
            pending.delete(attempt);
            break;
          }
        }
      }
      if (message.author === "agent") setTyping("agent", false);
      const delay = animate && message.author === "bot" ? Math.min(MAX_TYPING_MS, Math.max(0, message.typingDelayMs ?? 0)) : 0;
      if (delay > 0 || queue.length > 0 || draining) queue.push({ message, delay, notify });
      else show(message, notify);
    }
    void drain();
  };

  // The rating card and the conversation it rates; `ratingAsk`: the one ask for the closed
  // conversation's rating state (again only after a failed ask, on the next open). An answer
  // whose ask is no longer current (reopened, another conversation, a reset) is dropped.
  let rating: { readonly conversationId: string; readonly card: RatingCardView } | null = null;
  let ratingAsk: { readonly id: string } | null = null;

  const dropRating = () => {
    view.setCard(null);
    view.setCard(null, "transcript");
    rating = null;
    ratingAsk = null;
  };

  /** A closed conversation ends with "Email me this conversation" when the chatflow's inbox can send it (the config says). */
  const offerTranscript = () => {
    if (!conversation || conversation.status !== "closed" || chatflow?.transcripts !== true) return;
    const id = conversation.id;
    const card = createTranscriptCard(
      strings,
      () => api.call("GET", path(id, "/transcript")),
      async (email) => {
        const zone = typeof Intl === "object" ? Intl.DateTimeFormat().resolvedOptions().timeZone : undefined;
        const answer = await api.call<{ transcript?: { to?: unknown } }>("POST", path(id, "/transcript"), transcriptBody(email, zone));
        return typeof answer?.transcript?.to === "string" ? answer.transcript.to : (email ?? "");
      },
    );
    view.setCard(card.element, "transcript");
  };

  /** A closed conversation: asks whether it may be rated, and ends the transcript with the card when it may (or was). */
  const offerRating = async () => {
    if (!conversation || conversation.status !== "closed" || ratingAsk?.id === conversation.id) return;
    const id = conversation.id;
    const ask = (ratingAsk = { id });
    let answer: unknown;
    try {
      answer = await api.call("GET", path(id, "/rating"));
    } catch {
      if (ratingAsk === ask) ratingAsk = null;
      return;
    }
    if (ratingAsk !== ask || conversation?.id !== id) return;
    const shown = ratingCardFor(conversation.status, readRatingState(answer));
    if (shown.kind === "none") return;
    const card = createRatingCard(strings, (score, comment) => void sendRating(id, score, comment));
    rating = { conversationId: id, card };
    if (shown.kind === "thanks") card.thanks(shown.rating);
    else card.ask();
    view.setCard(card.element);
  };

  const sendRating = async (id: string, score: Score, comment: string) => {
    const card = rating?.conversationId === id ? rating.card : null;
    if (!card) return;
    card.sending();
    try {
      const answer = await api.call<{ rating?: unknown }>("POST", path(id, "/rating"), ratingBody(score, comment));
      card.thanks(readRating(answer?.rating) ?? { score, comment: null });
    } catch (error) {
      card.failed(format(strings.ratingFailed, { reason: error instanceof Error ? error.message : String(error) }));
    }
  };

  // A closed conversation is streamed only while its panel is open: an agent may reopen it while
  // the visitor looks at it, and they should see that without a reload. With the panel closed
  // it holds no connection (every page view of every past visitor would otherwise hold one);
  // opening the panel connects again, and a page load reads whether it was reopened.
  const setStatus = (status: string) => {
    if (!conversation || conversation.status === status) return;
    const wasClosed = conversation.status === "closed";
    conversation = { ...conversation, status };
    syncAttach();
    if (status === "closed") {
      view.addNote(strings.conversationClosed);
      setAwaiting(null);
      if (!isOpen) dropStream();
      offerTranscript();
      void offerRating();
    } else {
      dropRating();
      if (wasClosed) view.addNote(strings.conversationReopened);
    }
  };

  const connect = () => {
    dropStream();
    const token = api.storedToken();
    if (!conversation || !token || (conversation.status === "closed" && !isOpen)) return;
    const id = conversation.id;
    stream = connectStream({
      url: `${host.origin}${path(id, "/stream")}?token=${encodeURIComponent(token)}`,
      lastSeenId: () => lastSeen,
      fetchAfter: async (after) => messagesOf((await api.call<{ messages?: unknown }>("GET", path(id, after ? `/messages?after=${encodeURIComponent(after)}` : "/messages"))).messages),
      onMessages: (messages, animate) => ingest(messages, animate, true),
      onTyping: (typing) => {
        clearTimeout(agentTypingTimer);
        setTyping("agent", typing);
        if (typing) agentTypingTimer = setTimeout(() => setTyping("agent", false), AGENT_TYPING_TIMEOUT_MS);
      },
      onStatus: setStatus,
    });
  };

  const adopt = (answer: ConversationAnswer, fresh: boolean) => {
    if (!answer.conversation || typeof answer.conversation.id !== "string") throw new ApiError(502, "bad_answer", "the conversation answer has no conversation id");
    conversation = answer.conversation;
    if (rating?.conversationId !== conversation.id || conversation.status !== "closed") dropRating();
    syncAttach();
    local.set(conversationKey, conversation.id);
    stale = false;
    ingest(messagesOf(answer.messages), fresh, fresh);
    setAwaiting(answer.awaiting ?? null);
    if (conversation.status === "closed") {
      view.addNote(strings.conversationClosed);
      offerTranscript();
      void offerRating();
    }
    connect();
    seen.check();
  };

  const create = async () => {
    if (!chatflow) throw new ApiError(0, "hidden", "no chatflow applies to this page");
    const answer = await api.call<ConversationAnswer>("POST", "/api/conversations", { channel: host.channel, chatflowId: chatflow.id, pageUrl: location.href });
    adopt(answer, true);
  };

  const resume = async (id: string) => {
    try {
      adopt(await api.call<ConversationAnswer>("GET", path(id)), false);
    } catch (error) {
      if (!(error instanceof ApiError) || ![403, 404].includes(error.status)) throw error;
      local.remove(conversationKey);
      stale = true;
    }
  };

  /** Resumes the stored conversation, or starts one on the visitor's first open. */
  const begin = (startNew: boolean): Promise<void> =>
    (starting ??= (async () => {
      if (conversation) return;
      const stored = local.get(conversationKey);
      if (stored) await resume(stored);
      else if (startNew && !stale) await create();
    })()
      .catch((error: unknown) => {
        view.addNote(`${strings.connectFailed} ${error instanceof Error ? error.message : ""}`.trim());
      })
      .finally(() => {
        starting = null;
        view.setIntro(known.size === 0 ? chatflow?.display.welcomeMessage ?? null : null);
      }));

  const post = (attempt: Attempt) =>
    api.call<SendAnswer>("POST", path(conversation!.id, "/messages"), { clientMessageId: attempt.clientMessageId, ...attempt.payload });

  const send = async (payload: Payload, label: string, retry?: Attempt): Promise<void> => {
    if (busy) return; // a double click sends once
    busy = true;
    view.setBusy(true);
    const attempt: Attempt = retry ?? { clientMessageId: randomUuid(), payload, bubble: view.addPending(label) };
    pending.add(attempt);
    attempt.bubble.sending();
    const answering = awaiting;
    view.setAwaiting(null);
    try {
      // Resume a stored conversation first (it may not be loaded yet); else start a new one.
      if (!conversation) await begin(false);
      if (!conversation || conversation.status === "closed") await create();
      let answer: SendAnswer;
      try {
        answer = await post(attempt);
      } catch (error) {
        // The conversation is gone (or belonged to an old token): start a new one, once.
        if (!(error instanceof ApiError) || ![403, 404].includes(error.status)) throw error;
        local.remove(conversationKey);
        conversation = null;
        await create();
        answer = await post(attempt);
      }
      attempt.bubble.remove();
      pending.delete(attempt);
      ingest(messagesOf(answer.messages), true, true);
      setAwaiting(answer.awaiting ?? null);
      if (typeof answer.status === "string") setStatus(answer.status);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, "network", String(error));
      if (failure.retryable) {
        attempt.bubble.failed(strings.notSent, { label: strings.retry, run: () => void send(payload, label, attempt) });
      } else {
        pending.delete(attempt);
        attempt.bubble.failed(format(strings.failed, { reason: failure.message }));
      }
      awaiting = answering;
      view.setAwaiting(answering);
    } finally {
      busy = false;
      view.setBusy(false);
    }
  };

  let uploading = false;

  /**
   * Sends one file as the visitor's message: refused here when empty or over the limit (no
   * upload), else uploaded with "Sending…" under it and, once stored, shown like any message.
   * A failed upload that may work later offers Retry under the same clientMessageId.
   */
  const sendFile = async (file: File, retry?: { readonly clientMessageId: string; readonly bubble: PendingBubble }): Promise<void> => {
    if (!conversation || (uploading && !retry)) return;
    const size = sizeLabel(file.size, strings.locale);
    const bubble = retry?.bubble ?? view.addPending(`${file.name} (${size})`);
    const refused = fileRefusal(file);
    if (refused) {
      const message = refused === "empty" ? strings.fileEmpty : strings.fileTooLarge;
      bubble.failed(format(message, { name: file.name, size, max: sizeLabel(MAX_FILE_BYTES, strings.locale) }));
      return;
    }
    const clientMessageId = retry?.clientMessageId ?? randomUuid();
    uploading = true;
    view.setUploading(true);
    bubble.sending();
    const form = new FormData();
    form.append("clientMessageId", clientMessageId);
    form.append("file", file, file.name);
    try {
      const answer = await api.call<SendAnswer>("POST", path(conversation.id, "/files"), form);
      bubble.remove();
      ingest(messagesOf(answer.messages), false, true);
      if (typeof answer.status === "string") setStatus(answer.status);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, "network", String(error));
      if (failure.retryable) bubble.failed(strings.notSent, { label: strings.retry, run: () => void sendFile(file, { clientMessageId, bubble }) });
      else bubble.failed(format(strings.failed, { reason: failure.message }));
    } finally {
      uploading = false;
      view.setUploading(false);
    }
  };

  const isAway = () => chatflow !== null && !chatflow.available && !conversation && !local.get(conversationKey);

  const submitAway = async (email: string, text: string): Promise<string | null> => {
    if (!chatflow) return strings.connectFailed;
    try {
      await api.call("POST", "/api/away-messages", { channel: host.channel, chatflowId: chatflow.id, email, text, pageUrl: location.href });
      return null;
    } catch (error) {
      return format(strings.failed, { reason: error instanceof Error ? error.message : String(error) });
    }
  };

  const open = (focus: boolean) => {
    if (!chatflow || isOpen) return;
    isOpen = true;
    setUnread(0);
    if (isAway()) view.showAway(chatflow, chatflow.awayBehaviour === "collect_email", submitAway);
    else {
      view.showChat();
      view.setIntro(known.size === 0 ? chatflow.display.welcomeMessage : null);
      void begin(true);
      // A closed conversation is streamed while its panel is open (see setStatus).
      if (conversation?.status === "closed" && !stream) connect();
      // A closed conversation whose rating could not be asked for (offline then): ask again.
      void offerRating();
    }
    view.show();
    host.setExpanded(true);
    if (focus) view.focusFirst();
    seen.check();
  };

  const configure = (next: Chatflow | null) => {
    chatflow = next;
    if (next?.id !== armedFor) {
      // Pop-open fires at most once per visit and chatflow, and never over an open chat.
      disarm();
      disarm = () => {};
      armedFor = next?.id ?? "";
      const key = storageKey(host.channel, `popped:${armedFor}`);
      if (next && !session.get(key)) {
        disarm = armPopOpen(next.display.popOpen, () => {
          session.set(key, "1");
          open(false);
        }, window);
      }
    }
    if (!next) return close();
    [strings, launcherStrings] = stringsFor(next);
    view.setChatflow(next, strings);
    setUnread(unread);
    // A conversation in progress keeps its stream (and the unread badge) on every page.
    if (local.get(conversationKey) && !conversation) void begin(false);
  };

  const identify = async (input: unknown): Promise<IdentifyResult> => {
    const checked = checkIdentify(input);
    let reason: string;
    if (!checked.ok) reason = `${checked.path}: ${checked.message}`;
    else {
      try {
        const answer = await api.call<{ verified?: unknown; reason?: unknown }>("POST", "/api/visitors/identify", checked.value);
        if (answer?.verified === true) {
          local.set(storageKey(host.channel, "known"), "1");
          return { verified: true };
        }
        reason = typeof answer?.reason === "string" ? answer.reason : "the server did not verify the identity";
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
    }
    console.warn(`Parley.identify: not verified, no contact linked (${reason})`);
    return { verified: false, reason };
  };

  const setAttributes = async (input: unknown): Promise<AttributesResult> => {
    const checked = checkAttributes(input);
    let reason: string;
    if (!checked.ok) reason = `${checked.path}: ${checked.message}`;
    else {
      try {
        await api.call("POST", "/api/visitors/attributes", { attributes: checked.value });
        return { ok: true };
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
    }
    console.warn(`Parley.setAttributes: not saved (${reason})`);
    return { ok: false, reason };
  };

  const reset = () => {
    close();
    dropStream();
    api.forgetToken();
    for (const name of ["conversation", "known"] as const) local.remove(storageKey(host.channel, name));
    conversation = null;
    dropRating();
    syncAttach();
    fileUrls.revokeAll();
    stale = false;
    known.clear();
    lastSeen = undefined;
    shown = undefined;
    seen.reset();
    queue.length = 0;
    pending.clear();
    awaiting = null;
    deferredAwaiting = undefined;
    typingSources.clear();
    view.setTyping(false);
    view.clear();
    setUnread(0);
  };

  if (chatflow) configure(chatflow);

  const controller: ChatController = { open, close, identify, setAttributes, reset, configure };
  return controller;
};

// Hand the factory to the loader through our own <script> element: no global is defined.
document.currentScript?.dispatchEvent(new CustomEvent(CHUNK_EVENT, { detail: createWidget }));
