/**
 * How the thread names the automation rule that acted (decision 044): a change's line ("Closed
 * by rule “Close stale pending chats”") and a rule's comment or reply ("Automation · by rule …"),
 * with the rule's name cut out so an admin's thread can link it to the rule. Pure; safe on the client.
 */

/** The rule a thread item names. */
export interface RuleRef {
  readonly id: string;
  readonly name: string;
}

/** A rule's name in a sentence: by rule “Close stale pending chats”. Pure. */
export const ruleByline = (rule: Pick<RuleRef, "name">): string => `by rule “${rule.name}”`;

/** Where an admin reads the rule: its entry on Settings → Automation. Pure. */
export const ruleHref = (rule: Pick<RuleRef, "id">): string => `/settings/automation#rule-${encodeURIComponent(rule.id)}`;

/**
 * A line's text cut around the rule's name (its last “by rule …”), so the name can be a link:
 * `before + name + after` is the text. No name (null) when the text does not name that rule. Pure.
 */
export const ruleLineParts = (text: string, rule: Pick<RuleRef, "name">): { readonly before: string; readonly name: string | null; readonly after: string } => {
  const mark = ruleByline(rule);
  const at = text.lastIndexOf(mark);
  if (at < 0) return { before: text, name: null, after: "" };
  const nameAt = at + mark.length - rule.name.length - 1;
  return { before: text.slice(0, nameAt), name: rule.name, after: text.slice(nameAt + rule.name.length) };
};
