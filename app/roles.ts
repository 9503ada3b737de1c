/**
 * Who may open which area of the app. One table drives both the navigation (what a role
 * sees) and the guards (what a role may open), so they cannot disagree. Pure; safe on the client.
 */
import type { Role } from "./runtime.server.js";

export type Area = "flows" | "inbox" | "lists" | "reports" | "knowledge" | "settings";

/** The roles allowed in each area. Admins may open everything. */
export const access: Readonly<Record<Area, ReadonlyArray<Role>>> = {
  flows: ["admin", "marketer"],
  inbox: ["admin", "agent"],
  // Contact lists: marketers and admins make them (listManagers), agents add people to them.
  // The same rule as the ContactLists service's.
  lists: ["admin", "marketer", "agent"],
  reports: ["admin", "analyst"],
  // Every signed-in role reads the knowledge base (agents link articles in replies); only
  // knowledgeEditors write. The same rule as the Knowledge service's.
  knowledge: ["admin", "marketer", "agent", "analyst"],
  settings: ["admin"],
};

/**
 * The roles that follow missed answers up from the breaches list (assign, label, comment): those
 * that both read reports and work in the inbox — admins, as the table stands. An analyst reads
 * the list without the form; an agent does not see reports.
 */
export const breachFollowUp: ReadonlyArray<Role> = access.reports.filter((role) => access.inbox.includes(role));

/** The roles that write, publish and delete knowledge-base articles. */
export const knowledgeEditors: ReadonlyArray<Role> = ["admin", "marketer"];

/** The roles that create, rename and delete contact lists. */
export const listManagers: ReadonlyArray<Role> = ["admin", "marketer"];

/** The roles that export and erase a contact's personal data (the ContactPrivacy service's rule). */
export const personalDataAdmins: ReadonlyArray<Role> = ["admin"];

/** Every signed-in role, for pages anyone may open (one's own profile). */
export const everyone: ReadonlyArray<Role> = ["admin", "marketer", "agent", "analyst"];

/**
 * The main navigation, in order. An area may have several entries: tickets and contacts are
 * inbox work (the /tickets and /contacts routes guard with `access.inbox`), so whoever sees the
 * inbox sees them too.
 */
export const navigation: ReadonlyArray<{ readonly area: Area; readonly label: string; readonly to: string }> = [
  { area: "flows", label: "Flows", to: "/flows" },
  { area: "inbox", label: "Inbox", to: "/inbox" },
  { area: "inbox", label: "Tickets", to: "/tickets" },
  { area: "inbox", label: "Contacts", to: "/contacts" },
  { area: "lists", label: "Lists", to: "/lists" },
  { area: "reports", label: "Reports", to: "/reports" },
  { area: "knowledge", label: "Knowledge", to: "/knowledge" },
  { area: "settings", label: "Settings", to: "/settings" },
];

/** True when `role` may open `area`. Pure. */
export const canOpen = (role: Role, area: Area): boolean => role === "admin" || access[area].includes(role);

/** True when `role` is one of `allowed` (admins always are). Pure. */
export const isAllowed = (role: Role, allowed: ReadonlyArray<Role>): boolean => role === "admin" || allowed.includes(role);

/** Where a role lands after signing in: the first area it may open. Pure. */
export const homeFor = (role: Role): string =>
  navigation.find((item) => canOpen(role, item.area))?.to ?? "/settings/profile";

export const roleLabels: Readonly<Record<Role, string>> = {
  admin: "Admin",
  marketer: "Marketer",
  agent: "Agent",
  analyst: "Analyst",
};
