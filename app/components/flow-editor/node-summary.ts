/**
 * What a node card shows at a glance, per kind: the message text, the question and its
 * choices, branch rules, the webhook's method and URL, the handoff target's name… Read
 * loosely, so a half-filled node still shows what it has.
 */
import type { NodeKind } from "../../../flows/flow-spec.js";

/** Names of the workspace's teams and users, for showing ids as names. */
export interface NameLookup {
  readonly team: (id: string) => string | undefined;
  readonly user: (id: string) => string | undefined;
  /** A contact list's name (absent where lists are not known). */
  readonly list?: (id: string) => string | undefined;
  /** A conversation label's name (absent where labels are not known). */
  readonly label?: (id: string) => string | undefined;
}

export interface SummaryLine {
  readonly text: string;
  /** `quote` is text the visitor sees; `meta` is a detail; `code` is monospaced; `empty` asks to fill the node in. */
  readonly tone: "quote" | "meta" | "code" | "empty";
}

export interface NodeSummary {
  readonly lines: ReadonlyArray<SummaryLine>;
  /** Short items shown as pills (choices, split arms). */
  readonly chips: ReadonlyArray<string>;
}

type Loose = Record<string, any>;
const rec = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});
const arr = (v: unknown): ReadonlyArray<any> => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** Cuts text to `max` characters on one line, with an ellipsis. Pure. */
export const clip = (text: string, max = 90): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const quote = (text: string): SummaryLine => ({ text: clip(text), tone: "quote" });
const meta = (text: string): SummaryLine => ({ text: clip(text), tone: "meta" });
const empty = (text: string): SummaryLine => ({ text, tone: "empty" });

const MAX_CHIPS = 6;
const chipsOf = (items: ReadonlyArray<string>): ReadonlyArray<string> =>
  items.length > MAX_CHIPS ? [...items.slice(0, MAX_CHIPS - 1).map((c) => clip(c, 24)), `+${items.length - MAX_CHIPS + 1} more`] : items.map((c) => clip(c, 24));

const OPERATOR_WORDS: Record<string, string> = {
  equals: "=",
  not_equals: "≠",
  contains: "contains",
  begins_with: "begins with",
  ends_with: "ends with",
  matches_regex: "matches",
  greater_than: ">",
  less_than: "<",
  is_set: "is set",
  is_not_set: "is not set",
  is_one_of: "is one of",
};

const ANSWER_WORDS: Record<string, string> = {
  text: "text",
  email: "an email address",
  phone: "a phone number",
  number: "a number",
  date: "a date",
  choice: "a choice",
  yes_no: "yes or no",
  rating: "a rating",
  url: "a web address",
};

const subjectText = (subject: Loose, names: NameLookup): string => {
  switch (subject.type) {
    case "variable":
      return str(subject.name) || "variable";
    case "contact":
      return `contact.${str(subject.property)}`;
    case "last_answer":
      return "answer";
    case "team_available":
      return `${names.team(str(subject.teamId)) ?? "team"} available`;
    case "user_available":
      return `${names.user(str(subject.userId)) ?? "user"} available`;
    case "visitor":
      return `visitor ${str(subject.field).replace(/_/g, " ")}`;
    default:
      return "?";
  }
};

/** One condition as a short phrase: `answer = "yes"`, `contact.email is set`. Pure. */
export const conditionText = (condition: unknown, names: NameLookup): string => {
  const c = rec(condition);
  const subject = subjectText(rec(c.subject), names);
  const operator = OPERATOR_WORDS[str(c.operator)] ?? str(c.operator);
  if (c.operator === "is_set" || c.operator === "is_not_set") return `${subject} ${operator}`;
  if (c.subject?.type === "team_available" || c.subject?.type === "user_available") {
    return c.value === false || c.value === "false" ? `${subject} = no` : subject;
  }
  const value = Array.isArray(c.value) ? c.value.map(str).join(", ") : typeof c.value === "string" ? `"${c.value}"` : str(c.value);
  return `${subject} ${operator} ${value}`;
};

const saveText = (save: Loose): string | undefined => {
  const targets = [
    typeof save.variable === "string" && save.variable ? `{{${save.variable}}}` : undefined,
    typeof save.contactProperty === "string" && save.contactProperty ? `contact.${save.contactProperty}` : undefined,
  ].filter(Boolean);
  return targets.length > 0 ? `Saves to ${targets.join(" and ")}` : undefined;
};

/** The card content of a node of `kind` with `data`. Pure. */
export const summarize = (kind: NodeKind, data: unknown, names: NameLookup): NodeSummary => {
  const d = rec(data);
  const lines: SummaryLine[] = [];
  let chips: ReadonlyArray<string> = [];
  switch (kind) {
    case "message": {
      const bubbles = arr(d.bubbles);
      for (const b of bubbles.slice(0, 3)) {
        const bubble = rec(b);
        if (bubble.type === "image") lines.push(meta(`Image: ${str(bubble.alt) || str(bubble.url) || "no address yet"}`));
        else if (bubble.type === "link") lines.push(meta(`Link: ${str(bubble.label) || str(bubble.url) || "no address yet"}`));
        else if (str(bubble.text).trim() !== "") lines.push(quote(str(bubble.text)));
        else lines.push(empty("Write the message…"));
      }
      if (bubbles.length > 3) lines.push(meta(`+${bubbles.length - 3} more bubbles`));
      if (bubbles.length === 0) lines.push(empty("Write the message…"));
      break;
    }
    case "question": {
      const prompt = str(d.prompt);
      lines.push(prompt.trim() === "" ? empty("Write the question…") : quote(prompt));
      const answer = rec(d.answer);
      if (answer.type === "choice") {
        chips = chipsOf(arr(answer.choices).map((c) => str(rec(c).label) || str(rec(c).id)));
      } else if (answer.type === "yes_no") {
        chips = [str(answer.yesLabel) || "Yes", str(answer.noLabel) || "No"];
      } else if (answer.type === "rating") {
        lines.push(meta(`Expects a rating from ${answer.min ?? 1} to ${answer.max ?? 5}`));
      } else {
        lines.push(meta(`Expects ${ANSWER_WORDS[str(answer.type)] ?? "an answer"}`));
      }
      const saves = saveText(rec(d.save));
      if (saves) lines.push(meta(saves));
      break;
    }
    case "branch": {
      const rules = arr(d.rules);
      rules.slice(0, 4).forEach((r, i) => {
        const rule = rec(r);
        const joiner = rule.match === "any" ? " or " : " and ";
        const text = arr(rule.conditions).map((c) => conditionText(c, names)).join(joiner);
        lines.push(meta(`${str(rule.label) || `Rule ${i + 1}`}: ${text || "no conditions"}`));
      });
      if (rules.length > 4) lines.push(meta(`+${rules.length - 4} more rules`));
      if (rules.length === 0) lines.push(empty("Add a rule…"));
      lines.push(meta("Otherwise: else"));
      break;
    }
    case "set": {
      for (const a of arr(d.assignments).slice(0, 4)) {
        const target = rec(rec(a).target);
        const name = target.type === "contact" ? `contact.${str(target.property)}` : str(target.name);
        lines.push({ text: clip(`${name} = ${str(rec(a).value)}`), tone: "code" });
      }
      if (arr(d.assignments).length > 4) lines.push(meta(`+${arr(d.assignments).length - 4} more`));
      if (arr(d.assignments).length === 0) lines.push(empty("Add a value to set…"));
      break;
    }
    case "webhook": {
      const url = str(d.url);
      lines.push({ text: clip(`${str(d.method) || "POST"} ${url || "(no URL yet)"}`), tone: "code" });
      const mappings = arr(d.responseMappings).map((m) => str(rec(m).variable)).filter(Boolean);
      if (mappings.length > 0) lines.push(meta(`Saves ${mappings.join(", ")}`));
      break;
    }
    case "code": {
      const source = str(d.source).split("\n").map((l) => l.trim()).filter((l) => l !== "");
      if (source.length === 0) lines.push(empty("Write the snippet…"));
      for (const line of source.slice(0, 2)) lines.push({ text: clip(line, 60), tone: "code" });
      const inputs = arr(d.inputs).map(str);
      const outputs = arr(d.outputs).map(str);
      if (inputs.length + outputs.length > 0) {
        lines.push(meta(`${inputs.length ? `In: ${inputs.join(", ")}` : ""}${inputs.length && outputs.length ? " · " : ""}${outputs.length ? `Out: ${outputs.join(", ")}` : ""}`));
      }
      break;
    }
    case "handoff": {
      const target = rec(d.target);
      if (target.type === "team") lines.push(meta(`To team ${names.team(str(target.teamId)) ?? (str(target.teamId) || "(choose a team)")}`));
      else if (target.type === "user") lines.push(meta(`To ${names.user(str(target.userId)) ?? (str(target.userId) || "(choose a person)")}`));
      else if (target.type === "contact_owner") lines.push(meta("To the contact's owner, else routing"));
      else lines.push(meta("To the inbox's routing"));
      if (str(d.message).trim() !== "") lines.push(quote(str(d.message)));
      const labels = Array.isArray(d.labels) ? d.labels.map((id) => names.label?.(str(id)) ?? str(id)) : [];
      if (labels.length > 0) lines.push(meta(`Labels: ${labels.join(", ")}`));
      const away = rec(d.away);
      if (away.askForEmail) lines.push(meta("When away: asks for an email"));
      break;
    }
    case "ticket": {
      const subject = str(d.subject);
      lines.push(subject.trim() === "" ? empty("Write the ticket subject…") : quote(subject));
      lines.push(meta(`Priority: ${str(d.priority) || "normal"}`));
      break;
    }
    case "meeting": {
      const userId = str(d.userId);
      lines.push(userId ? meta(`Book with ${names.user(userId) ?? userId}`) : empty("Choose who to book with…"));
      if (str(d.message).trim() !== "") lines.push(quote(str(d.message)));
      break;
    }
    case "subscribe": {
      const question = str(d.question);
      lines.push(question.trim() === "" ? empty("Write the question…") : quote(question));
      lines.push(str(d.consentText).trim() === "" ? empty("Write the consent text…") : meta("Records consent with its text"));
      const listId = str(d.listId);
      if (listId) lines.push(meta(`Adds subscribers to ${names.list?.(listId) ?? listId}`));
      break;
    }
    case "add_to_list": {
      const listId = str(d.listId);
      lines.push(listId ? meta(`Adds the contact to ${names.list?.(listId) ?? listId}`) : empty("Choose a list…"));
      break;
    }
    case "knowledge": {
      const query = str(d.query).trim();
      lines.push(meta(query === "" ? "Searches help articles for the last answer" : `Searches help articles for ${query}`));
      const limit = typeof d.limit === "number" ? d.limit : 3;
      lines.push(meta(`Offers up to ${limit} article${limit === 1 ? "" : "s"}`));
      if (str(d.message).trim() !== "") lines.push(quote(str(d.message)));
      if (typeof d.saveTitleTo === "string" && d.saveTitleTo !== "") lines.push(meta(`Saves the title to {{${d.saveTitleTo}}}`));
      break;
    }
    case "split": {
      chips = chipsOf(arr(d.arms).map((a) => `${str(rec(a).label) || str(rec(a).id)} ${rec(a).percent ?? 0}%`));
      const total = arr(d.arms).reduce((sum, a) => sum + (Number(rec(a).percent) || 0), 0);
      lines.push(meta(total === 100 ? "Splits visitors at random" : `Shares add up to ${total}%, not 100%`));
      break;
    }
    case "end": {
      if (str(d.message).trim() !== "") lines.push(quote(str(d.message)));
      lines.push(meta(d.closeConversation ? "Ends and closes the conversation" : "Ends the bot"));
      break;
    }
  }
  return { lines, chips };
};
