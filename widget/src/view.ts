/**
 * The chat panel's DOM: heading, message list, typing indicator, quick replies, composer, and
 * the away views. It renders what it is told and reports what the visitor does through
 * callbacks; it holds no conversation state and makes no requests.
 */
import type { ChatStrings } from "../i18n/en.js";
import { ATTACH_ICON, CLOSE_ICON, h, icon, SEND_ICON, type Child } from "./dom.js";
import { isThumbnail, sizeLabel } from "./files.js";
import { headingTitle, initials, replyTimeLine } from "./heading.js";
import { format } from "./i18n.js";
import { choiceBounds, inputFor } from "./inputs.js";
import { backLine, closedForLine, closesLine } from "./back-line.js";
import { contactLine } from "./contact-email.js";
import { compareIds } from "./messages.js";
import { linkify, safeHref, safeImageSrc } from "./safe-href.js";
import type { Attachment, Awaiting, Chatflow, Message } from "./types.js";
import { checkAwayForm } from "./validate.js";

export interface ViewHandlers {
  readonly onClose: () => void;
  readonly onSend: (text: string) => void;
  readonly onChoose: (ids: ReadonlyArray<string>, label: string, multiple: boolean) => void;
  /** The visitor picked a file to send (the attach button, shown while people hold the chat). */
  readonly onFile: (file: File) => void;
  /** A blob: URL of a message's file, fetched with the visitor token. */
  readonly fileUrl: (attachment: Attachment) => Promise<string>;
}

/** A visitor message on its way: shows "Sending…", then goes, or offers a retry. */
export interface PendingBubble {
  readonly text: string;
  readonly sending: () => void;
  readonly failed: (message: string, retry?: { readonly label: string; readonly run: () => void }) => void;
  readonly remove: () => void;
}

const link = (href: string, text: string, strings: ChatStrings): HTMLAnchorElement =>
  h("a", { href, target: "_blank", rel: "noopener noreferrer" }, text, h("span", { class: "sr" }, ` ${strings.opensInNewTab}`));

/** Message text as Text nodes and safe links: never HTML. */
const richText = (text: string, strings: ChatStrings): Child[] =>
  linkify(text).map((part) => (part.kind === "link" ? link(part.href, part.text, strings) : part.text));

/**
 * A message's file: a plain image as a thumbnail linking to the full image in a new tab, any
 * other file as a download link with its name and size. Both point at a blob: URL fetched with
 * the token — an image's at once, another file's on the first click (a transcript of PDFs is not
 * downloaded just by being shown).
 */
const renderFile = (file: Attachment, strings: ChatStrings, fileUrl: ViewHandlers["fileUrl"]): HTMLElement => {
  const size = sizeLabel(file.size, strings.locale);
  if (isThumbnail(file)) {
    const image = h("img", { alt: file.name, width: 160 });
    const anchor = h("a", { class: "fi", target: "_blank", rel: "noopener" }, image, h("span", { class: "sr" }, ` ${size} ${strings.opensInNewTab}`));
    fileUrl(file).then(
      (url) => {
        image.src = url;
        anchor.href = url;
      },
      () => anchor.replaceChildren(`${file.name} (${size}) — ${strings.fileUnavailable}`),
    );
    return anchor;
  }
  const anchor = h("a", { class: "fl", href: "#", download: file.name }, `${file.name} (${size})`);
  anchor.addEventListener("click", (event) => {
    if (anchor.href.startsWith("blob:")) return;
    event.preventDefault();
    fileUrl(file).then(
      (url) => {
        anchor.href = url;
        anchor.click();
      },
      () => anchor.replaceChildren(`${file.name} (${size}) — ${strings.fileUnavailable}`),
    );
  });
  return anchor;
};

/** One message bubble; the author is spoken before the text for screen readers. */
export const renderMessage = (message: Message, strings: ChatStrings, fileUrl?: ViewHandlers["fileUrl"]): HTMLElement => {
  const who = { visitor: strings.you, bot: strings.bot, agent: strings.agent, system: strings.system }[message.author];
  const extra = message.bubble;
  // A bot's link or image bubble carries its label (alt) as the message's text too, for the
  // inbox, email and API readers: drawn once, as the link or the image, not again beside it.
  const caption = (extra?.type === "link" && message.text === (extra.label || extra.url)) || (extra?.type === "image" && message.text === extra.alt) ? "" : message.text;
  const bubble = h("p", { class: `m ${message.author}`, "data-id": message.id }, h("span", { class: "sr" }, `${who}: `), ...richText(caption, strings));
  if (extra?.type === "image") {
    const src = safeImageSrc(extra.url, location.href);
    if (src) bubble.append(h("img", { src, alt: extra.alt || strings.image, loading: "lazy", referrerpolicy: "no-referrer" }));
    else if (caption === "" && message.text) bubble.append(message.text);
  } else if (extra?.type === "link") {
    const href = safeHref(extra.url, location.href);
    const label = extra.label || extra.url;
    bubble.append(caption ? " " : "", href ? link(href, label, strings) : label);
  }
  if (fileUrl && message.attachments) {
    for (const file of message.attachments) bubble.append(h("span", { class: "af" }, renderFile(file, strings, fileUrl)));
  }
  return bubble;
};

export interface PanelView {
  readonly element: HTMLElement;
  readonly setChatflow: (chatflow: Chatflow, strings: ChatStrings) => void;
  readonly show: () => void;
  readonly hide: () => void;
  readonly contains: (node: Node | null) => boolean;
  readonly showChat: () => void;
  readonly showAway: (chatflow: Chatflow, collectEmail: boolean, submit: (email: string, text: string) => Promise<string | null>) => void;
  readonly addMessage: (message: Message) => void;
  readonly addNote: (text: string) => void;
  readonly addPending: (text: string) => PendingBubble;
  /** Ends the transcript with `card` in its slot (the rating card, then "Email me this conversation"), replacing an earlier one; null takes it away. */
  readonly setCard: (card: HTMLElement | null, slot?: CardSlot) => void;
  readonly clear: () => void;
  readonly setIntro: (text: string | null) => void;
  readonly setTyping: (typing: boolean) => void;
  readonly setAwaiting: (awaiting: Awaiting | null) => void;
  readonly setBusy: (busy: boolean) => void;
  /** Shows the attach button (people hold the conversation) or hides it (the bot asks, or none yet). */
  readonly setCanAttach: (can: boolean) => void;
  /** Disables the attach button while a file uploads. */
  readonly setUploading: (uploading: boolean) => void;
  readonly focusFirst: () => void;
}

/** The cards that end a closed conversation's transcript, in this order. */
export type CardSlot = "rating" | "transcript";

/** Builds the (hidden) panel inside `root`. */
export const createPanelView = (root: ShadowRoot, initialStrings: ChatStrings, handlers: ViewHandlers): PanelView => {
  let strings = initialStrings;
  let busy = false;
  let awaiting: Awaiting | null = null;
  // The cards that end the transcript (rating-card.ts, transcript-card.ts): messages go in above them.
  const cards: Record<CardSlot, HTMLElement | null> = { rating: null, transcript: null };

  const title = h("h2");
  // Under the title, and the dialog's description while shown: until when a special day keeps
  // the chat open, and how soon the team usually replies.
  const closes = h("p", { class: "hr", id: "parley-closes", hidden: true });
  const replyTime = h("p", { class: "hr", id: "parley-reply-time", hidden: true });
  const avatars = h("div", { class: "avs", "aria-hidden": "true" });
  const close = h("button", { class: "cl", type: "button" }, icon(CLOSE_ICON));
  close.addEventListener("click", handlers.onClose);

  const log = h("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" });
  const intro = h("p", { class: "in" });
  const typing = h("div", { class: "ty", hidden: true }, h("i"), h("i"), h("i"), h("span", { class: "sr" }));
  const quickReplies = h("div", { class: "qr" });
  const input = h("input", { id: "parley-input", name: "message", maxlength: "4000" });
  const inputLabel = h("label", { class: "sr", for: "parley-input" });
  const send = h("button", { class: "sd", type: "submit" }, icon(SEND_ICON), h("span", { class: "sr" }));
  const picker = h("input", { type: "file", hidden: true, tabindex: "-1" });
  const attach = h("button", { class: "at", type: "button", hidden: true }, icon(ATTACH_ICON));
  attach.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    const file = picker.files?.[0];
    // Cleared so the same file may be picked again after a refusal.
    picker.value = "";
    if (file) handlers.onFile(file);
  });
  const composer = h("form", { class: "cp", novalidate: true }, attach, picker, inputLabel, input, send);
  const away = h("div", { class: "aw", hidden: true });
  const powered = h("p", { class: "pb" });
  const panel = h("section", { class: "p", id: "parley-panel", role: "dialog", hidden: true },
    h("div", { class: "hd" }, avatars, h("div", { class: "ht" }, title, closes, replyTime), close), log, typing, quickReplies, composer, away, powered);

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (busy || text === "") return;
    handlers.onSend(text);
    // The send button is disabled while sending: keep the keyboard in the composer.
    input.focus();
  });
  // Under 480 px the panel covers the whole page (styles.ts): Tab must then go round inside it,
  // not on to the page's links hidden underneath. Beside a page, the panel stays non-modal.
  const fillsScreen = () => typeof window.matchMedia === "function" && window.matchMedia("(max-width:480px)").matches;
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      handlers.onClose();
      return;
    }
    if (event.key !== "Tab" || !fillsScreen()) return;
    const focusable = Array.from(panel.querySelectorAll<HTMLElement>("button,input,textarea,select,a[href],[tabindex='0']")).filter(
      (el) => !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0,
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = root.activeElement;
    if (!first || !last) return;
    if (event.shiftKey && (active === first || !panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });
  root.append(panel);

  // Quick replies, the typing dots or a phone's keyboard shrink the log after a message was
  // scrolled into view, hiding its end (a question cut in half above its own answers). While
  // the visitor is reading at the bottom, a resize keeps them there; scrolled up, it leaves them be.
  // Only the visitor's own scrolling moves `pinned`: the scroll event of ours arrives after the
  // shrink, when the end already looks far away.
  let pinned = true;
  let ownScrollTop = -1;
  const scrollDown = () => {
    log.scrollTop = log.scrollHeight;
    ownScrollTop = log.scrollTop;
    pinned = true;
  };
  log.addEventListener("scroll", () => {
    if (log.scrollTop === ownScrollTop) return;
    pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  }, { passive: true });
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      if (pinned) scrollDown();
    }).observe(log);
  }

  const applyStrings = () => {
    close.setAttribute("aria-label", strings.close);
    log.setAttribute("aria-label", strings.messages);
    typing.lastElementChild!.textContent = strings.typing;
    inputLabel.textContent = strings.inputLabel;
    send.lastElementChild!.textContent = strings.send;
    attach.setAttribute("aria-label", strings.attach);
    attach.title = strings.attach;
    powered.textContent = strings.poweredBy;
  };

  const renderAwaiting = () => {
    quickReplies.replaceChildren();
    const spec = inputFor(awaiting);
    input.type = spec.type;
    if (spec.inputMode) input.inputMode = spec.inputMode;
    else input.removeAttribute("inputmode");
    input.autocomplete = spec.autocomplete as AutoFill;
    input.placeholder = strings[spec.placeholder];
    const choices = awaiting?.choices ?? [];
    if (!awaiting || choices.length === 0) return;
    if (!awaiting.multiple) {
      for (const choice of choices) {
        const button = h("button", { class: "q", type: "button", disabled: busy }, choice.label);
        button.addEventListener("click", () => {
          if (busy) return;
          handlers.onChoose([choice.id], choice.label, false);
          input.focus(); // the quick replies are gone once answered
        });
        quickReplies.append(button);
      }
      return;
    }
    const [min, max] = choiceBounds(awaiting);
    const boxes = choices.map((choice) => ({ choice, box: h("input", { type: "checkbox", value: choice.id }) }));
    const submit = h("button", { class: "q", type: "submit", disabled: true }, strings.send);
    const update = () => {
      const ticked = boxes.filter(({ box }) => box.checked).length;
      for (const { box } of boxes) box.disabled = busy || (!box.checked && ticked >= max);
      submit.disabled = busy || ticked < min;
    };
    const legend = min === 1 && max === choices.length ? strings.chooseSeveral : format(strings.chooseBetween, { min, max });
    const form = h("form", {}, h("fieldset", {}, h("legend", {}, legend), ...boxes.map(({ choice, box }) => h("label", {}, box, choice.label)), submit));
    form.addEventListener("change", update);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = boxes.filter(({ box }) => box.checked).map(({ choice }) => choice);
      if (busy || picked.length < min) return;
      handlers.onChoose(picked.map((choice) => choice.id), picked.map((choice) => choice.label).join(", "), true);
      input.focus();
    });
    quickReplies.append(form);
  };

  const setChatflow = (chatflow: Chatflow, next: ChatStrings) => {
    strings = next;
    applyStrings();
    const name = headingTitle(chatflow, strings.fallbackName);
    title.textContent = name;
    panel.setAttribute("aria-label", format(strings.dialog, { name }));
    const lines: Array<[HTMLElement, string | null]> = [
      [closes, closesLine(strings, chatflow.closesAt, chatflow.specialDay, Date.now())],
      [replyTime, replyTimeLine(strings, chatflow)],
    ];
    for (const [line, text] of lines) {
      line.textContent = text ?? "";
      line.hidden = text === null;
    }
    const described = lines.filter(([, text]) => text !== null).map(([line]) => line.id).join(" ");
    if (described === "") panel.removeAttribute("aria-describedby");
    else panel.setAttribute("aria-describedby", described);
    panel.classList.toggle("bl", chatflow.display.launcherPosition === "bottom_left");
    avatars.replaceChildren();
    for (const person of chatflow.display.heading.avatars.slice(0, 3)) {
      const face = h("span", { class: "av" }, initials(person.name));
      const src = safeImageSrc(person.avatarUrl);
      if (src) {
        // Initials stay until the picture has loaded, and for good when it fails.
        const image = h("img", { src, alt: "", referrerpolicy: "no-referrer" });
        image.addEventListener("load", () => face.replaceChildren(image));
      }
      avatars.append(face);
    }
    const logo = avatars.childElementCount === 0 ? safeImageSrc(chatflow.branding.logoUrl) : null;
    if (logo) avatars.append(h("img", { class: "lg", src: logo, alt: "" }));
    powered.hidden = !chatflow.branding.showPoweredBy;
    renderAwaiting();
  };

  const setBusy = (next: boolean) => {
    busy = next;
    send.disabled = next;
    send.setAttribute("aria-label", next ? strings.sending : strings.send);
    for (const control of Array.from(quickReplies.querySelectorAll<HTMLButtonElement | HTMLInputElement>("button,input"))) {
      if (next) control.disabled = true;
    }
    if (!next) renderAwaiting();
  };

  return {
    element: panel,
    setChatflow,
    show: () => {
      panel.hidden = false;
      panel.setAttribute("aria-modal", String(fillsScreen()));
      scrollDown();
    },
    hide: () => {
      panel.hidden = true;
    },
    contains: (node) => node !== null && panel.contains(node),
    showChat: () => {
      away.hidden = true;
      for (const part of [log, quickReplies, composer]) part.hidden = false;
    },
    showAway: (chatflow, collectEmail, submit) => {
      for (const part of [log, typing, quickReplies, composer]) part.hidden = true;
      away.hidden = false;
      const back = [closedForLine(strings.awayClosedFor, chatflow.closedFor), backLine(strings.awayBack, chatflow.opensAt, strings.locale, Date.now())]
        .filter((line) => line !== null)
        .join(" ");
      const message = h("p", { class: "m bot" }, ...richText(chatflow.awayMessage || strings.awayTitle, strings));
      const messages: Node[] = back ? [message, h("p", { class: "ce" }, back)] : [message];
      // The address is the server's text: only ever a Text node and a checked mailto href.
      const line = contactLine(strings.awayContact, chatflow.contactEmail);
      const contact: Node[] = line ? [h("p", { class: "ce" }, line.before, h("a", { href: line.href }, line.address), line.after)] : [];
      if (!collectEmail) return away.replaceChildren(...messages, ...contact);
      const email = h("input", { id: "parley-away-email", type: "email", inputmode: "email", autocomplete: "email", required: true, "aria-describedby": "parley-away-email-error" });
      const text = h("textarea", { id: "parley-away-text", required: true, maxlength: "4000", "aria-describedby": "parley-away-text-error" });
      const emailError = h("p", { class: "fe", id: "parley-away-email-error" });
      const textError = h("p", { class: "fe", id: "parley-away-text-error" });
      const formError = h("p", { class: "fe", role: "alert" });
      const button = h("button", { class: "sd", type: "submit" }, strings.awaySend);
      const form = h("form", { novalidate: true },
        h("label", { for: "parley-away-email" }, strings.awayEmail), email, emailError,
        h("label", { for: "parley-away-text" }, strings.awayMessage), text, textError, formError, button);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (button.disabled) return;
        const problems = checkAwayForm(email.value, text.value);
        emailError.textContent = problems.email ? strings[problems.email] : "";
        textError.textContent = problems.text ? strings[problems.text] : "";
        email.setAttribute("aria-invalid", String(Boolean(problems.email)));
        text.setAttribute("aria-invalid", String(Boolean(problems.text)));
        if (problems.email) return email.focus();
        if (problems.text) return text.focus();
        button.disabled = true;
        formError.textContent = "";
        const failure = await submit(email.value.trim(), text.value.trim());
        button.disabled = false;
        if (failure !== null) {
          formError.textContent = failure;
          return;
        }
        const thanks = h("p", { role: "status", tabindex: "-1" }, strings.awayThanks);
        away.replaceChildren(...messages, thanks, ...contact);
        thanks.focus();
      });
      away.replaceChildren(...messages, form, ...contact);
    },
    addMessage: (message) => {
      intro.remove();
      const bubble = renderMessage(message, strings, handlers.fileUrl);
      // Keep id order even when a catch-up brings an older message after a newer one.
      const later = Array.from(log.querySelectorAll<HTMLElement>("[data-id]")).find((other) => compareIds(other.dataset.id!, message.id) > 0);
      log.insertBefore(bubble, later ?? [cards.rating, cards.transcript].find((card) => card?.parentNode === log) ?? null);
      scrollDown();
    },
    addNote: (text) => {
      log.append(h("p", { class: "m system" }, text));
      scrollDown();
    },
    addPending: (text) => {
      const bubble = h("p", { class: "m visitor" }, h("span", { class: "sr" }, `${strings.you}: `), ...richText(text, strings));
      const status = h("p", { class: "st" });
      log.append(bubble, status);
      input.value = "";
      scrollDown();
      return {
        text,
        sending: () => {
          status.className = "st";
          status.replaceChildren(strings.sending);
        },
        failed: (message, retry) => {
          status.className = "st er";
          status.replaceChildren(message);
          if (retry) {
            const again = h("button", { type: "button" }, retry.label);
            again.addEventListener("click", retry.run);
            status.append(again);
          }
          scrollDown();
        },
        remove: () => {
          bubble.remove();
          status.remove();
        },
      };
    },
    setCard: (next, slot = "rating") => {
      cards[slot]?.remove();
      cards[slot] = next;
      if (next) {
        for (const card of [cards.rating, cards.transcript]) if (card) log.append(card);
        scrollDown();
      }
    },
    clear: () => {
      log.replaceChildren();
      cards.rating = cards.transcript = null;
      awaiting = null;
      renderAwaiting();
    },
    setIntro: (text) => {
      if (!text) return void intro.remove();
      intro.textContent = text;
      if (!log.querySelector(".m")) log.prepend(intro);
    },
    setTyping: (on) => {
      typing.hidden = !on;
      if (on) scrollDown();
    },
    setAwaiting: (next) => {
      awaiting = next;
      renderAwaiting();
    },
    setBusy,
    setCanAttach: (can) => {
      attach.hidden = !can;
    },
    setUploading: (uploading) => {
      attach.disabled = uploading;
    },
    focusFirst: () => {
      const target = !away.hidden ? away.querySelector<HTMLElement>("input,textarea") ?? close : input;
      target.focus();
    },
  };
};
