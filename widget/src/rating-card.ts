/**
 * The rating card at the end of a closed conversation's transcript: "How was your
 * conversation?" with five faces (buttons that stay pressed, aria-pressed, like a radio group
 * a keyboard reaches with Tab), then an optional comment and Send; once sent, the thanks with
 * the score and Change to rate again. It renders what it is told and reports the visitor's
 * rating through `onSend`; it makes no requests.
 */
import type { ChatStrings } from "../i18n/en.js";
import { h } from "./dom.js";
import { format } from "./i18n.js";
import { RATING_COMMENT_MAX, RATING_SCORES, scoreLabel, type GivenRating, type Score } from "./rating.js";

/** One face per score, worst first; decoration beside each score's word. */
const FACES = ["😖", "😞", "😐", "😊", "😄"];

export interface RatingCardView {
  readonly element: HTMLElement;
  /** The question, with `given`'s score pressed and its comment filled in (Change). */
  readonly ask: (given?: GivenRating | null) => void;
  /** The rating is on its way: Send says so, and nothing in the card acts until it is through or failed. */
  readonly sending: () => void;
  /** It did not get through: the message in the card, and Send to try again. */
  readonly failed: (message: string) => void;
  /** It is stored: the thanks, the score, and Change. */
  readonly thanks: (rating: GivenRating) => void;
}

/** Builds a card (not yet shown: the panel puts `element` at the end of its transcript). */
export const createRatingCard = (strings: ChatStrings, onSend: (score: Score, comment: string) => void): RatingCardView => {
  const element = h("div", { class: "rt", role: "group", "aria-labelledby": "parley-rq" });
  let last: GivenRating | null = null;
  let send: HTMLButtonElement | null = null;
  let error: HTMLElement | null = null;
  // While a rating is on its way. Send is marked aria-disabled, not disabled: a disabled button
  // drops the keyboard focus, and the thanks could no longer take it over.
  let busy = false;

  const hadFocus = () => element.contains((element.getRootNode() as Document | ShadowRoot).activeElement);

  const ask = (given: GivenRating | null = last) => {
    const refocus = hadFocus();
    let picked: Score | null = given?.score ?? null;
    const buttons = RATING_SCORES.map((score) => {
      const label = scoreLabel(strings, score);
      const button = h(
        "button",
        { type: "button", class: "rb", "aria-label": label, title: label, "aria-pressed": String(score === picked) },
        h("span", { class: "rf", "aria-hidden": "true" }, FACES[score - 1]),
        h("span", { "aria-hidden": "true" }, strings[`rating${score}`]),
      );
      button.addEventListener("click", () => {
        if (busy) return;
        picked = score;
        for (const [i, other] of buttons.entries()) other.setAttribute("aria-pressed", String(RATING_SCORES[i] === score));
        more.hidden = false;
      });
      return button;
    });
    const comment = h("textarea", { id: "parley-rc", name: "comment", rows: 3, maxlength: String(RATING_COMMENT_MAX) });
    comment.value = given?.comment ?? "";
    send = h("button", { class: "sd", type: "submit" }, strings.send);
    error = h("p", { class: "fe", role: "alert" });
    const more = h(
      "div",
      { class: "rc", hidden: picked === null },
      h("label", { for: "parley-rc" }, `${strings.ratingComment} `, h("span", { class: "ro" }, strings.ratingOptional)),
      comment,
      send,
    );
    const form = h("form", { novalidate: true }, h("div", { class: "rs" }, ...buttons), more, error);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (picked === null || busy) return;
      onSend(picked, comment.value);
    });
    element.replaceChildren(h("p", { class: "rq", id: "parley-rq" }, strings.ratingQuestion), form);
    if (refocus) (buttons[(picked ?? 1) - 1] ?? buttons[0])!.focus();
  };

  return {
    element,
    ask,
    sending: () => {
      if (!send || !error) return;
      busy = true;
      send.setAttribute("aria-disabled", "true");
      send.textContent = strings.sending;
      error.textContent = "";
    },
    failed: (message) => {
      if (!send || !error) return;
      busy = false;
      send.removeAttribute("aria-disabled");
      send.textContent = strings.send;
      error.textContent = message;
    },
    thanks: (rating) => {
      const refocus = hadFocus();
      last = rating;
      busy = false;
      send = error = null;
      const title = h("p", { class: "rq", id: "parley-rq", tabindex: "-1" }, strings.ratingThanks);
      const change = h("button", { type: "button", class: "rl" }, strings.ratingChange);
      change.addEventListener("click", () => ask());
      element.replaceChildren(
        title,
        h("p", {}, h("span", { class: "rf", "aria-hidden": "true" }, FACES[rating.score - 1]), ` ${format(strings.ratingYours, { score: scoreLabel(strings, rating.score) })} `, change),
      );
      if (refocus) title.focus();
    },
  };
};
