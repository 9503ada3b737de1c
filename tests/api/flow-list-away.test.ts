/**
 * The flow list says why a live flow is away right now (a closed date, outside its hours), as
 * the widget config decides it: the route's real loader, signed in as the admin, on a real
 * seeded SQLite file, with flows published through the Chatflows service.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/flows._index/route.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { Chatflows } from "../../runtime/services/chatflows.js";
import { defaultFlowDocument } from "../../runtime/services/messenger-settings.js";
import { Database } from "../../runtime/services/database.js";
import { Reports } from "../../runtime/services/reports.js";
import { encodeTeamHours } from "../../runtime/services/team-hours.js";
import { Workspace } from "../../runtime/services/workspace.js";
import type { TeamHours } from "../../flows/team-hours.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp("flow-list-away");
});

afterAll(async () => {
  await app?.dispose();
});

const DAY = 86_400_000;
/** Yesterday, today and tomorrow (UTC): whatever the clock says during the test, today is among them. */
const aroundToday = () => [-1, 0, 1].map((d) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10));
const everyDay = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => ({ day, from: "00:00", to: "24:00" }));

const publish = (name: string, availability: Record<string, unknown>, enabled = true) =>
  app.runtime.runPromise(
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      const document = { ...defaultFlowDocument(name.toLowerCase().replace(/\W+/g, "_"), name), settings: { availability } };
      const created = yield* flows.create({ name, kind: "bot", document });
      yield* flows.publish(created.id);
      if (enabled) yield* flows.setEnabled(created.id, true);
      return created.id;
    }),
  );

const listed = async () => {
  const session = await app.runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", TEST_ADMIN_PASSWORD)));
  const context = { runtime: app.runtime } as never;
  const url = "https://parley.example.com/flows";
  const cookie = (await sessionCookieHeader(new Request(url), context, session.token)).split(";")[0]!;
  const page = (await loader({ request: new Request(url, { headers: { Cookie: cookie } }), context, params: {} })) as { flows: Array<{ id: string; awayNow: string | null }> };
  return new Map(page.flows.map((f) => [f.id, f.awayNow]));
};

describe("the flow list's 'away now'", () => {
  it("names a closed date, the workspace's for a flow that follows them, or the hours, with the next opening; nothing when open or off", async () => {
    const holiday = await publish("Holiday", { mode: "business_hours", timezone: "UTC", hours: everyDay, closedDates: aroundToday().map((date) => ({ date, name: "Team day" })) });
    const follower = await publish("Follower", { mode: "business_hours", timezone: "UTC", hours: everyDay, workspaceClosedDates: true });
    const own = await publish("Own dates only", { mode: "business_hours", timezone: "UTC", hours: everyDay });
    const never = await publish("Never open", { mode: "business_hours", timezone: "Europe/Berlin", hours: [] });
    const off = await publish("Off", { mode: "business_hours", timezone: "UTC", hours: [] }, false);
    await app.runtime.runPromise(Effect.flatMap(Reports, (r) => Effect.forEach(aroundToday(), (date) => r.addClosedDate({ date }))));

    const away = await listed();
    const reopening = `opens again ${new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long" }).format(Date.parse(aroundToday()[2]!) + DAY)} at 00:00 (UTC)`;
    expect(away.get(holiday)).toBe(`closed date (Team day); ${reopening}`);
    expect(away.get(follower)).toBe(`closed date; ${reopening}`);
    expect(away.get(own)).toBeNull();
    expect(away.get(never)).toBe("outside its hours; its hours never open");
    expect(away.get(off)).toBeNull();
  });
});

describe("the flow list's 'away now' for a flow that follows a team's hours", () => {
  it("reads the team's calendar and names the team; nothing once the team keeps no hours", async () => {
    const team = await app.runtime.runPromise(Effect.flatMap(Workspace, (w) => w.createTeam({ name: "Night desk" })));
    const setHours = (hours: TeamHours) =>
      app.runtime.runPromise(Effect.flatMap(Database, (db) => db.writeEffect((s) => s.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours(hours), team.id))));
    await setHours({ source: "own", timezone: "UTC", hours: everyDay as Array<{ day: "mon"; from: string; to: string }>, closedDates: aroundToday().map((date) => ({ date, name: "Inventory", yearly: false })), workspaceClosedDates: false });
    // Its own hours (always open) are not read while it follows the team.
    const follows = await publish("Follows the night desk", { mode: "team", teamId: team.id, timezone: "Asia/Tokyo", hours: everyDay });
    const reopening = `opens again ${new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long" }).format(Date.parse(aroundToday()[2]!) + DAY)} at 00:00 (UTC)`;
    expect((await listed()).get(follows)).toBe(`closed date (Inventory) of team Night desk; ${reopening}`);
    await setHours({ source: "none" });
    expect((await listed()).get(follows)).toBeNull();
  });
});
