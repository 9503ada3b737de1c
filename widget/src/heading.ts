/** The chat heading: who the visitor is talking to. */
import type { Chatflow } from "./types.js";

/** Up to two capital initials from a person's name ("Ada Lovelace" → "AL"); "?" for none. Pure. */
export const initials = (name: string): string => {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = Array.from(words[0])[0] ?? "";
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] ?? "" : "";
  return (first + last).toLocaleUpperCase();
};

/**
 * The heading's title: the flow's custom name, else the agents' names, else the branding
 * name, else `fallback`. Pure.
 */
export const headingTitle = (chatflow: Chatflow, fallback: string): string => {
  const { name, avatars } = chatflow.display.heading;
  if (name.trim() !== "") return name.trim();
  const names = avatars.map((avatar) => avatar.name.trim()).filter(Boolean);
  if (names.length > 0) return names.length > 3 ? `${names.slice(0, 3).join(", ")} +${names.length - 3}` : names.join(", ");
  return chatflow.branding.name?.trim() || fallback;
};
