/**
 * A name's case-blind key, for names that must be unique whatever their case in any script
 * (labels: "Überweisung" and "überweisung" are one label). SQLite's NOCASE and lower() fold ASCII
 * only, so the key is computed here and stored beside the name (migration 33).
 */
import type BetterSqlite3 from "better-sqlite3";

/**
 * The key: NFKC (full-width and ligature forms read as their plain letters), then upper and lower
 * case, which folds what lower case alone keeps apart (ß and SS, final and medial sigma). Pure.
 */
export const nameKey = (name: string): string => name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");

/** Gives a connection `name_key(text)`, the same function, for migrations that fill a key column. */
export const registerNameKey = (sqlite: BetterSqlite3.Database): void => {
  sqlite.function("name_key", { deterministic: true }, (name: unknown) => (typeof name === "string" ? nameKey(name) : null));
};
