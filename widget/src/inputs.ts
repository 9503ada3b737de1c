/**
 * What the composer looks like for the answer the bot waits for: the keyboard a phone shows
 * (type / inputmode), autofill hints and the placeholder. Validation stays on the server (the
 * retry prompt is just the bot's next message); these only make the right answer easy to type.
 */
import type { ChatStrings } from "../i18n/en.js";
import type { Awaiting } from "./types.js";

export interface InputSpec {
  readonly type: "text" | "email" | "tel" | "date";
  readonly inputMode?: "email" | "tel" | "numeric";
  readonly autocomplete: string;
  readonly placeholder: keyof ChatStrings;
}

/** The composer's input attributes for what the bot awaits (free text when nothing). Pure. */
export const inputFor = (awaiting: Awaiting | null): InputSpec => {
  switch (awaiting?.input) {
    case "email":
      return { type: "email", inputMode: "email", autocomplete: "email", placeholder: "placeholderEmail" };
    case "phone":
      return { type: "tel", inputMode: "tel", autocomplete: "tel", placeholder: "placeholderPhone" };
    case "number":
    case "rating":
      return { type: "text", inputMode: "numeric", autocomplete: "off", placeholder: "placeholderNumber" };
    case "date":
      return { type: "date", autocomplete: "off", placeholder: "placeholderDate" };
    default:
      return { type: "text", autocomplete: "off", placeholder: awaiting?.choices?.length ? "placeholderChoice" : "placeholder" };
  }
};

/** How many boxes a multiple-choice question lets the visitor tick: [min, max]. Pure. */
export const choiceBounds = (awaiting: Awaiting): readonly [number, number] => {
  const count = awaiting.choices?.length ?? 0;
  const min = Math.max(1, Math.min(count, Math.floor(awaiting.min ?? 1)));
  const max = Math.max(min, Math.min(count, Math.floor(awaiting.max ?? count)));
  return [min, max];
};
