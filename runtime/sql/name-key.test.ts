/**
 * Label names' case-blind key (migration 33): the pure key, and the migration on a database
 * made before it that already holds labels differing only by non-ASCII case — it must not fail,
 * keeps the oldest of each set of twins as it is, renames the others, and from then on the
 * unique index refuses a new twin.
 */
import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../services/database.js";
import { migrations } from "./migrations.js";
import { nameKey } from "./name-key.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-name-key-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("nameKey", () => {
  it("folds case in any script, compatibility forms, ß and final sigma; keeps different names apart", () => {
    expect(nameKey("Überweisung")).toBe(nameKey("überweisung"));
    expect(nameKey("ÜBERWEISUNG")).toBe(nameKey("überweisung"));
    // "Ü" written as U + combining diaeresis is the same name.
    expect(nameKey("U\u0308berweisung")).toBe(nameKey("überweisung"));
    expect(nameKey("Straße")).toBe(nameKey("STRASSE"));
    expect(nameKey("ΟΔΟΣ")).toBe(nameKey("οδος"));
    expect(nameKey("Ｂｕｇ")).toBe(nameKey("bug"));
    expect(nameKey("Счёт")).toBe(nameKey("СЧЁТ"));
    expect(nameKey("Billing")).not.toBe(nameKey("Bill"));
    expect(nameKey("Uberweisung")).not.toBe(nameKey("Überweisung"));
  });
});

describe("migration 33", () => {
  it("succeeds on a database that holds Unicode-case twins: the oldest keeps its name, the later ones are suffixed", () => {
    const sqlite = new BetterSqlite3(join(dir, "old.sqlite"));
    try {
      // The database as it was before migration 33.
      for (const m of [...migrations].filter((m) => m.version < 33).sort((a, b) => a.version - b.version)) sqlite.exec(m.sql);
      sqlite.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      for (const m of migrations.filter((m) => m.version < 33)) sqlite.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
      const insert = sqlite.prepare("INSERT INTO labels (id, name, color, created_at) VALUES (?, ?, 'blue', ?)");
      insert.run("label_a0000001", "Überweisung", 1);
      insert.run("label_b0000002", "überweisung", 2);
      insert.run("label_c0000003", "U\u0308berweisung", 3);
      insert.run("label_d0000004", "Straße", 4);
      insert.run("label_e0000005", "STRASSE", 5);
      insert.run("label_f0000006", "Bug", 6);
      insert.run("label_g0000007", `${"ä".repeat(40)}`, 7);
      insert.run("label_h0000008", `${"Ä".repeat(40)}`, 8);

      // 33 and whatever came after it (34 and on since the merges).
      expect(migrate(sqlite)).toEqual(migrations.filter((m) => m.version >= 33).map((m) => m.version).sort((a, b) => a - b));
      const names = sqlite.prepare("SELECT id, name, name_key FROM labels ORDER BY created_at").all() as Array<{ id: string; name: string; name_key: string }>;
      expect(names.map((r) => r.name)).toEqual([
        "Überweisung",
        "überweisung #000002",
        "U\u0308berweisung #000003",
        "Straße",
        "STRASSE #000005",
        "Bug",
        "ä".repeat(40),
        `${"Ä".repeat(32)} #000008`,
      ]);
      expect(names.every((r) => r.name.length <= 40 && r.name_key === nameKey(r.name))).toBe(true);
      expect(new Set(names.map((r) => r.name_key)).size).toBe(names.length);
      // From now on the key refuses a twin.
      expect(() =>
        sqlite.prepare("INSERT INTO labels (id, name, name_key, color, created_at) VALUES ('label_x', 'bug', ?, 'red', 9)").run(nameKey("bug")),
      ).toThrow(/UNIQUE/);
      expect(() =>
        sqlite.prepare("INSERT INTO labels (id, name, name_key, color, created_at) VALUES ('label_y', 'STRAßE', ?, 'red', 9)").run(nameKey("STRAßE")),
      ).toThrow(/UNIQUE/);
    } finally {
      sqlite.close();
    }
  });
});
