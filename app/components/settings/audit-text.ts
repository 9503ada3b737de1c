/**
 * The audit log's lines as words, for its page and its CSV (Settings → Audit log). Pure.
 */
import type { AuditEntry } from "../../runtime.server.js";

/** Keys whose values are user ids: shown as the people's names where known. */
const PEOPLE_KEYS = new Set(["added", "removed", "owner"]);

const KEY_WORDS: Readonly<Record<string, string>> = {
  added: "added",
  removed: "removed",
  owner: "owner",
  from: "from",
  to: "to",
  role: "role",
  name: "name",
  reason: "reason",
  method: "method",
  email: "email",
  changed: "changed",
  endedSessions: "sessions ended",
  eventTypes: "events",
  enabled: "enabled",
  version: "version",
  unchanged: "unchanged",
  renamedFrom: "renamed from",
  urlFrom: "URL was",
  inboxFrom: "inbox was",
  inboxTo: "inbox now",
  expiresAt: "expires",
  prefix: "token starts",
  filters: "filters",
  created: "created",
  updated: "updated",
  skipped: "skipped",
  refused: "refused",
  trigger: "trigger",
  kind: "kind",
  copyOf: "copy of",
  kept: "kept",
  required: "required",
  recoveryCodesLeft: "recovery codes left",
  wasEnabled: "was on",
  fromPlace: "from place",
  toPlace: "to place",
  order: "new order",
  more: "more flows",
};

/** Facts the target already says, or ids nobody reads. */
const HIDDEN_KEYS = new Set(["userId", "contactId", "versionId", "contentHash", "via"]);

const valueText = (key: string, value: unknown, names: ReadonlyMap<string, string>): string => {
  if (value === null || value === undefined) return "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (key === "expiresAt" && typeof value === "number") return new Date(value).toISOString().slice(0, 10);
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    return value.map((v) => (PEOPLE_KEYS.has(key) && typeof v === "string" ? (names.get(v) ?? v) : typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  }
  if (typeof value === "string" && PEOPLE_KEYS.has(key)) return names.get(value) ?? value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
};

/** A line's details: "key: value" pairs, people by name, in the order they were recorded. Pure. */
export const auditDetails = (data: Readonly<Record<string, unknown>>, names: ReadonlyMap<string, string>): string =>
  Object.entries(data)
    .filter(([key]) => !HIDDEN_KEYS.has(key))
    .map(([key, value]) => `${KEY_WORDS[key] ?? key}: ${valueText(key, value, names)}`)
    .join(" · ");

const TARGET_WORDS: Readonly<Record<string, string>> = {
  user: "User",
  api_token: "API token",
  webhook: "Webhook",
  flow: "Flow",
  channel: "Channel",
  inbox: "Inbox",
  team: "Team",
  contact: "Contact",
  import: "Import",
  automation_rule: "Rule",
};

/** What a line names: its kind and its label as it was then (the id when it had none). Pure. */
export const auditTarget = (target: NonNullable<AuditEntry["target"]>): string =>
  `${TARGET_WORDS[target.type] ?? target.type} ${target.label ?? target.id}`;

/** Who a line names: the person, else what acted without one. Pure. */
export const auditWho = (entry: Pick<AuditEntry, "actor" | "via">): string =>
  entry.actor?.name ?? (entry.via === "command line" ? "Command line" : entry.via === "system" ? "Parley" : "Not signed in");

const VIA_WORDS: Readonly<Record<AuditEntry["via"], string>> = {
  app: "the app",
  api: "the API",
  "command line": "the command line",
  system: "Parley",
};

/** Where a line's change came from: the way, and the address when one is known. Pure. */
export const auditVia = (entry: Pick<AuditEntry, "via" | "ip" | "tokenId">): string =>
  [VIA_WORDS[entry.via] ?? entry.via, entry.via === "api" && entry.tokenId ? `token ${entry.tokenId}` : null, entry.ip].filter((part) => part !== null && part !== "").join(" · ");
