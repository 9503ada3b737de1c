/**
 * public/widget.js — the loader every customer page includes:
 *   <script async src="https://PARLEY/widget.js" data-parley-channel="ID"></script>
 * It must stay under 3 KB gzipped, so it does only what is needed before the visitor engages:
 * set up `window.Parley` (replaying calls queued on a stub), ask /api/widget/config which
 * chatflow applies to this page (again after SPA navigation), draw the launcher and the welcome
 * bubble in a shadow root, and load the chat UI chunk when it is needed: on the first click,
 * hover or focus; at once when a conversation is in progress (its stream drives the unread
 * badge) or when the flow pops open by itself (pop-open lives in the chunk, which opening needs
 * anyway).
 */
import { launcher as deLauncher } from "../i18n/de.js";
import { launcher as enLauncher } from "../i18n/en.js";
import { accentOrDefault, inkOnWhite, textOn } from "./contrast.js";
import { pickLanguage } from "./i18n.js";
import { createCallBuffer, readQueuedCalls } from "./queue.js";
import { storageKey } from "./storage.js";
import { CHUNK_EVENT, type ChatController, type Chatflow, type ChunkFactory, type LoaderHost, type WidgetEvent } from "./types.js";

/** Path of the chat UI chunk, with a content hash for caching; set by widget/build.mjs. */
declare const CHUNK_PATH: string;

const NAVIGATE = "parley:navigate";
const EVENTS: ReadonlyArray<WidgetEvent> = ["ready", "message", "open", "close"];

// Only the launcher and the welcome bubble; the panel brings its own sheet (styles.ts).
const CSS =
  ":host{all:initial!important}[hidden]{display:none!important}" +
  ".l{position:fixed;bottom:20px;right:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px;font:15px/1.4 system-ui,sans-serif;color:#1a1a1a}" +
  ".left{right:auto;left:20px;align-items:flex-start}" +
  "button{padding:0;border:0;background:none;color:inherit;font:inherit;cursor:pointer}" +
  ".b{width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--t);display:grid;place-items:center;box-shadow:0 4px 14px #0005}" +
  "svg{width:28px;fill:currentColor}" +
  ".w{display:flex;max-width:280px;background:#fff;border-radius:12px;box-shadow:0 4px 18px #0004}" +
  ".w button{padding:12px 14px;text-align:left}" +
  ":focus-visible{outline:3px solid var(--k);outline-offset:2px}";

// A speech bubble; static markup, no data ever goes into innerHTML here.
const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';

type Listener = (payload: unknown) => void;
type StoreName = "localStorage" | "sessionStorage";

// Storage may be missing or throw (privacy modes); the loader then simply remembers nothing.
const read = (store: StoreName, key: string): string | null => {
  try {
    return window[store].getItem(key);
  } catch {
    return null;
  }
};
const write = (store: StoreName, key: string, value: string) => {
  try {
    window[store].setItem(key, value);
  } catch {
    // See above.
  }
};

const boot = (script: HTMLScriptElement) => {
  const w = window as unknown as { Parley?: unknown };
  if ((w.Parley as { loaded?: boolean } | undefined)?.loaded) return; // the snippet was pasted twice
  const channel = script.getAttribute("data-parley-channel");
  if (!channel) return console.error("Parley: data-parley-channel: missing");
  const origin = new URL(script.src).origin;

  // Event bus. `ready` is remembered so a late `on('ready')` still hears it.
  const listeners: Partial<Record<WidgetEvent, Listener[]>> = {};
  let readyPayload: unknown;
  let isReady = false;
  const emit = (event: WidgetEvent, payload?: unknown) => {
    if (event === "ready") [isReady, readyPayload] = [true, payload];
    for (const listener of listeners[event] ?? []) {
      try {
        listener(payload);
      } catch (error) {
        console.error(error);
      }
    }
  };

  // The launcher, built once; the host joins the page only while a chatflow shows.
  const host = document.createElement("parley-widget");
  host.setAttribute("style", "all:initial!important");
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    `<style>${CSS}</style><style></style><div class="l"><div class="w" hidden><button class="wt"></button>` +
    `<button class="x">×</button></div><button class="b" aria-expanded="false">${ICON}</button></div>`;
  const [vars, wrap, welcome, welcomeText, dismiss, launcher] = [root.querySelectorAll("style")[1], ...root.querySelectorAll(".l,.w,.wt,.x,.b")] as [
    HTMLStyleElement,
    HTMLElement,
    HTMLElement,
    HTMLButtonElement,
    HTMLButtonElement,
    HTMLButtonElement,
  ];

  let current: Chatflow | null = null;
  let open = false;
  const welcomeKey = storageKey(channel, "welcome");
  const showWelcome = () => {
    welcome.hidden = open || !current?.display.welcomeMessage || !!read("sessionStorage", welcomeKey);
  };

  const hostApi: LoaderHost = {
    origin,
    channel,
    root,
    launcher,
    chatflow: () => current,
    setExpanded: (next) => {
      if (next === open) return;
      open = next;
      // Once the visitor has seen the chat, the welcome bubble has done its job for this visit.
      if (open) write("sessionStorage", welcomeKey, "1");
      launcher.setAttribute("aria-expanded", String(open));
      showWelcome();
      emit(open ? "open" : "close");
    },
    emit,
  };

  // The chat UI chunk: loaded once, on first need; calls made meanwhile wait in the buffer.
  const controller = createCallBuffer<ChatController>();
  let loading = false;
  const load = () => {
    if (loading) return;
    loading = true;
    const chunk = document.createElement("script");
    chunk.src = origin + CHUNK_PATH;
    chunk.addEventListener(CHUNK_EVENT, (event) => controller.attach((event as CustomEvent<ChunkFactory>).detail(hostApi)));
    chunk.onerror = () => {
      loading = false; // the next call tries again
      chunk.remove();
    };
    document.head.append(chunk);
  };

  let configured: () => void;
  const firstConfig = new Promise<void>((resolve) => (configured = resolve));
  const openChat = () => {
    if (!current) return;
    load();
    void controller.run((chat) => chat.open(true));
  };

  const apply = (chatflow: Chatflow | null) => {
    // Away with "hide": as if no chatflow applied.
    current = chatflow && (chatflow.available || chatflow.awayBehaviour !== "hide") ? chatflow : null;
    if (!current) host.remove();
    else {
      const accent = accentOrDefault(current.display.accentColor);
      const strings = pickLanguage(current.language, navigator.languages ?? []) === "de" ? deLauncher : enLauncher;
      vars.textContent = `:host{--a:${accent};--t:${textOn(accent)};--k:${inkOnWhite(accent)}}`;
      wrap.classList.toggle("left", current.display.launcherPosition === "bottom_left");
      launcher.setAttribute("aria-label", strings.label);
      welcomeText.textContent = current.display.welcomeMessage;
      welcomeText.setAttribute("aria-label", `${strings.welcomeOpen}: ${current.display.welcomeMessage}`);
      dismiss.setAttribute("aria-label", strings.dismiss);
      showWelcome();
      if (!host.isConnected) document.body.append(host);
      if (current.display.popOpen.mode !== "never" || read("localStorage", storageKey(channel, "conversation"))) load();
    }
    controller.ifReady((chat) => chat.configure(current));
    if (!isReady) emit("ready", { chatflowId: current?.id ?? null });
    configured();
  };

  let evaluated = "";
  let sequence = 0;
  const evaluate = async () => {
    const url = location.href;
    if (url === evaluated) return;
    evaluated = url;
    const mine = ++sequence;
    const known = read("localStorage", storageKey(channel, "known")) ? "&contact=known" : "";
    let chatflow: Chatflow | null = null;
    try {
      const response = await fetch(`${origin}/api/widget/config?channel=${encodeURIComponent(channel)}&url=${encodeURIComponent(url)}${known}`);
      chatflow = response.ok ? ((await response.json()) as { chatflow?: Chatflow | null }).chatflow ?? null : null;
    } catch {
      // Offline or blocked: show nothing, like a page no chatflow targets.
    }
    if (mine !== sequence) return; // a later navigation already asked
    if (document.body) apply(chatflow);
    else addEventListener("DOMContentLoaded", () => apply(chatflow));
  };

  launcher.addEventListener("click", () => (open ? api.close() : openChat()));
  // Hovering or focusing the launcher warms the chunk so the click opens at once.
  launcher.addEventListener("pointerenter", load);
  launcher.addEventListener("focus", load);
  welcomeText.addEventListener("click", openChat);
  dismiss.addEventListener("click", () => {
    write("sessionStorage", welcomeKey, "1");
    showWelcome();
    launcher.focus();
  });

  const api = {
    loaded: true,
    open: () => void firstConfig.then(openChat),
    close: () => controller.ifReady((chat) => chat.close()),
    toggle: () => (open ? api.close() : api.open()),
    identify: (input: unknown) => {
      load();
      return controller.run((chat) => chat.identify(input));
    },
    setAttributes: (input: unknown) => {
      load();
      return controller.run((chat) => chat.setAttributes(input));
    },
    reset: () => {
      load();
      void controller.run((chat) => chat.reset());
    },
    on: (event: WidgetEvent, listener: Listener) => {
      if (!EVENTS.includes(event) || typeof listener !== "function") {
        console.error(`Parley.on: expected (${EVENTS}, function)`);
        return () => {};
      }
      (listeners[event] ??= []).push(listener);
      if (event === "ready" && isReady) listener(readyPayload);
      return () => listeners[event]!.splice(listeners[event]!.indexOf(listener) >>> 0, 1);
    },
  };

  const { calls, problems } = readQueuedCalls(w.Parley);
  w.Parley = api;
  for (const problem of problems) console.error(`${problem.path}: ${problem.message}`);
  for (const call of calls) (api[call.method] as (...args: unknown[]) => unknown)(...call.args);

  // Single-page sites change the URL without reloading: hear pushState/replaceState too.
  for (const method of ["pushState", "replaceState"] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      dispatchEvent(new Event(NAVIGATE));
      return result;
    };
  }
  addEventListener(NAVIGATE, evaluate);
  addEventListener("popstate", evaluate);
  void evaluate();
};

const current = document.currentScript as HTMLScriptElement | null;
if (current) boot(current);
