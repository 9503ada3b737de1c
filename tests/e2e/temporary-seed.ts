/**
 * TEMPORARY, until the first-start seed (runtime/services/seed.ts) lands: makes sure the users
 * the auth spec signs in as exist in the e2e database. It does nothing for users the server
 * already seeded, so it can stay harmlessly until it is deleted with the seed's arrival.
 */
import BetterSqlite3 from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { hashPassword } from "../../runtime/services/password.js";

/** Inserts the admin and the demo agent (same password) when the database lacks them. */
export async function ensureUsersForAuthSpec(): Promise<ReadonlyArray<string>> {
  const path = process.env.PARLEY_DATABASE_PATH;
  const email = process.env.PARLEY_ADMIN_EMAIL;
  const password = process.env.PARLEY_ADMIN_PASSWORD;
  if (!path || !email || !password) throw new Error("run the specs through playwright.config.ts");
  const wanted = [
    { email, name: "Admin", role: "admin" },
    { email: "agent@parley.local", name: "Alex Agent", role: "agent" },
  ];
  const sqlite = new BetterSqlite3(path);
  try {
    sqlite.pragma("busy_timeout = 5000");
    const inserted: string[] = [];
    for (const user of wanted) {
      if (sqlite.prepare("SELECT 1 FROM users WHERE email = ?").get(user.email)) continue;
      sqlite
        .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(`usr_${randomBytes(16).toString("base64url")}`, user.email, user.name, user.role, await hashPassword(password), Date.now());
      inserted.push(user.email);
    }
    return inserted;
  } finally {
    sqlite.close();
  }
}
