import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { Schema as S } from "effect";
import { Availability, Settings } from "../../../flows/flow-spec.js";
import {
  checkMoment,
  followedTeamIssue,
  DEFAULT_SETTINGS,
  getIn,
  issueAt,
  languageIssue,
  numberFromField,
  setIn,
  settingAt,
  settingsIssues,
  teamHoursLine,
  testUrl,
  updateSetting,
  type TeamCalendarView,
} from "./settings-model.js";

describe("paths", () => {
  it("reads and writes nested values without touching the input", () => {
    const before = { a: { list: [{ x: 1 }] } };
    const after = setIn(before, ["a", "list", 0, "x"], 2);
    expect(after).toEqual({ a: { list: [{ x: 2 }] } });
    expect(before.a.list[0]!.x).toBe(1);
    expect(getIn(after, ["a", "list", 0, "x"])).toBe(2);
    expect(getIn(after, ["a", "missing", 3])).toBeUndefined();
    expect(setIn({ a: 1, b: 2 }, ["a"], undefined)).toEqual({ b: 2 });
  });

  it("reads the default where the draft holds nothing", () => {
    expect(settingAt({}, ["sessionTimeoutMinutes"])).toBe(30);
    expect(settingAt({ sessionTimeoutMinutes: 5 }, ["sessionTimeoutMinutes"])).toBe(5);
    expect(settingAt({}, ["targeting", "show"])).toEqual(DEFAULT_SETTINGS.targeting.show);
  });
});

describe("updateSetting", () => {
  it("fills a missing section with its defaults so one new field keeps its siblings", () => {
    const next = updateSetting({}, ["targeting", "hide"], [{ type: "url", operator: "contains", value: "/pricing" }]);
    // Without the default show rule, Targeting would fail to decode ("show is missing").
    expect(getIn(next, ["targeting", "show"])).toEqual([{ type: "url", operator: "all", value: "" }]);
    expect(settingsIssues(next).size).toBe(0);
  });

  it("keeps what the draft already has", () => {
    const raw = { targeting: { show: [{ type: "url", operator: "is", value: "https://a.example/" }] }, priority: 7 };
    const next = updateSetting(raw, ["targeting", "visitor", "contact"], "known");
    expect(next).toEqual({
      targeting: {
        show: [{ type: "url", operator: "is", value: "https://a.example/" }],
        visitor: { contact: "known", devices: [], languages: [] },
      },
      priority: 7,
    });
  });
});

describe("settingsIssues", () => {
  it("gives the Settings schema's message for each bad field by path", () => {
    const issues = settingsIssues({
      display: { accentColor: "blue" },
      sessionTimeoutMinutes: 0,
      targeting: { show: [{ type: "url", operator: "sometimes" }] },
    });
    expect(issueAt(issues, ["display", "accentColor"])).toBe("a colour is #rrggbb");
    expect(issueAt(issues, ["sessionTimeoutMinutes"])).toBeDefined();
    expect([...issues.keys()].some((p) => p.startsWith("targeting.show[0]"))).toBe(true);
    expect(settingsIssues({}).size).toBe(0);
  });
});

describe("number fields", () => {
  it("stores numbers as numbers and anything else as text for the schema to name", () => {
    expect(numberFromField(" 45 ")).toBe(45);
    expect(numberFromField("")).toBeUndefined();
    expect(numberFromField("ten")).toBe("ten");
    expect(issueAt(settingsIssues({ sessionTimeoutMinutes: "ten" }), ["sessionTimeoutMinutes"])).toBeDefined();
  });
});

describe("languageIssue", () => {
  it("accepts BCP 47 tags and names the problem otherwise", () => {
    expect(languageIssue("de")).toBeUndefined();
    expect(languageIssue("pt-BR")).toBeUndefined();
    expect(languageIssue("German")).toBeDefined();
  });
});

describe("testUrl", () => {
  const test = { url: "https://shop.example/pricing?plan=pro", device: "desktop" as const, knownContact: false, languages: "en" };

  it("says which show rule decided", () => {
    const raw = { targeting: { show: [{ type: "url", operator: "contains", value: "/blog" }, { type: "url", operator: "contains", value: "/pricing" }] } };
    const result = testUrl(raw, test);
    expect(Either.isRight(result) && result.right).toMatchObject({ show: true, rule: { list: "show", index: 1 } });
  });

  it("lets a hide rule win and a visitor filter refuse", () => {
    const hidden = testUrl({ targeting: { show: [{ type: "url", operator: "all" }], hide: [{ type: "query", name: "plan", operator: "exists" }] } }, test);
    expect(Either.isRight(hidden) && hidden.right).toMatchObject({ show: false, rule: { list: "hide", index: 0 } });
    const mobileOnly = testUrl({ targeting: { show: [{ type: "url", operator: "all" }], visitor: { devices: ["mobile"] } } }, test);
    expect(Either.isRight(mobileOnly) && mobileOnly.right.show).toBe(false);
    expect(Either.isRight(mobileOnly) && mobileOnly.right.reason).toContain("mobile");
  });

  it("asks for a URL, and for valid rules, before answering", () => {
    expect(Either.isLeft(testUrl({}, { ...test, url: "  " }))).toBe(true);
    expect(testUrl({ targeting: { show: [{ type: "nope" }] } }, test)).toEqual(Either.left("Fix the targeting rules marked above first."));
  });
});

describe("checkMoment", () => {
  const berlin = S.decodeUnknownSync(Availability)({
    mode: "business_hours",
    timezone: "Europe/Berlin",
    hours: ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" })),
    closedDates: [{ date: "2026-12-24", name: "Christmas Eve" }, { date: "2000-12-25", yearly: true }],
  });
  const right = (local: string) => Either.getOrThrow(checkMoment(berlin, local));

  it("reads the moment on the flow's clock and says why it is open or away", () => {
    expect(right("2026-12-23T10:00")).toEqual({ open: true, reason: "Open: inside the business hours." });
    // 08:30 in Berlin, although 08:30 UTC would be inside.
    expect(right("2026-12-23T08:30")).toEqual({ open: false, reason: "Away: outside the business hours; opens again Wed 23 December at 09:00 (Europe/Berlin)." });
    expect(right("2026-12-24T10:00")).toEqual({ open: false, reason: "Away: Thu 24 December 2026 is a closed date (Christmas Eve)." });
    expect(right("2031-12-25T10:00")).toEqual({ open: false, reason: "Away: Thu 25 December 2031 is a closed date." });
    // After the two closed days (Thursday, Friday) and the weekend.
    expect(right("2026-12-24T18:00").reason).toBe("Away: Thu 24 December 2026 is a closed date (Christmas Eve).");
    expect(right("2026-12-26T12:00").reason).toBe("Away: outside the business hours; opens again Mon 28 December at 09:00 (Europe/Berlin).");
  });

  it("says a special day's hours, open or away, and names a wholly closed day only (decision 051)", () => {
    const eve = S.decodeUnknownSync(Availability)({
      ...S.encodeSync(Availability)(berlin),
      closedDates: [{ date: "2026-12-24", name: "Christmas Eve", hours: [{ from: "09:00", to: "13:00" }] }],
    });
    const at = (local: string) => Either.getOrThrow(checkMoment(eve, local));
    expect(at("2026-12-24T10:00")).toEqual({ open: true, reason: "Open: Thu 24 December 2026 keeps special hours (Christmas Eve), open 09:00–13:00." });
    expect(at("2026-12-24T14:00")).toEqual({
      open: false,
      reason: "Away: Thu 24 December 2026 keeps special hours (Christmas Eve), open 09:00–13:00; opens again Fri 25 December at 09:00 (Europe/Berlin).",
    });
    expect(at("2026-12-23T14:00").reason).toBe("Open: inside the business hours.");
  });

  it("is always open in mode always, and asks for a whole moment", () => {
    expect(Either.getOrThrow(checkMoment(S.decodeSync(Availability)({}), "2026-12-24T10:00")).open).toBe(true);
    expect(checkMoment(berlin, "")).toEqual(Either.left("Pick a day and a time to check."));
    expect(checkMoment(berlin, "2026-12-24")).toEqual(Either.left("Pick a day and a time to check."));
    const never = S.decodeSync(Availability)({ mode: "business_hours", hours: [] });
    expect(Either.getOrThrow(checkMoment(never, "2026-12-24T10:00")).reason).toBe("Away: the business hours never open.");
  });

  it("names the team whose hours a flow follows", () => {
    const team = (local: string) => Either.getOrThrow(checkMoment(berlin, local, "Support"));
    expect(team("2026-12-23T10:00").reason).toBe("Open: inside the hours of team Support.");
    expect(team("2026-12-23T08:30").reason).toBe("Away: outside the hours of team Support; opens again Wed 23 December at 09:00 (Europe/Berlin).");
    expect(team("2026-12-24T10:00").reason).toBe("Away: Thu 24 December 2026 is a closed date (Christmas Eve) of team Support.");
  });
});

describe("followedTeamIssue", () => {
  const teams = [{ id: "t_support" }];
  it("asks for a team, refuses an unknown one, and has nothing to say otherwise", () => {
    expect(followedTeamIssue({ availability: { mode: "team" } }, teams)).toBe("choose the team whose hours the chat keeps");
    expect(followedTeamIssue({ availability: { mode: "team", teamId: "" } }, teams)).toBe("choose the team whose hours the chat keeps");
    expect(followedTeamIssue({ availability: { mode: "team", teamId: "t_gone" } }, teams)).toBe('the team "t_gone" does not exist any more; choose one of your teams');
    expect(followedTeamIssue({ availability: { mode: "team", teamId: "t_support" } }, teams)).toBeUndefined();
    expect(followedTeamIssue({ availability: { mode: "business_hours", teamId: "t_gone" } }, teams)).toBeUndefined();
    expect(followedTeamIssue(undefined, teams)).toBeUndefined();
  });
});

describe("teamHoursLine", () => {
  const schedule = S.decodeSync(Availability)({
    mode: "business_hours",
    timezone: "Europe/Berlin",
    hours: ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day: day as "mon", from: "09:00", to: "17:00" })),
    closedDates: [{ date: "2026-12-24" }],
  });
  const teams: ReadonlyArray<TeamCalendarView> = [
    { teamId: "t_own", name: "Support", source: "own", schedule },
    { teamId: "t_ws", name: "Sales", source: "workspace", schedule: { ...schedule, closedDates: [] } },
    { teamId: "t_ws_unset", name: "Billing", source: "workspace", schedule: null },
    { teamId: "t_none", name: "Ops", source: "none", schedule: null },
  ];

  it("says the team's hours in one line, or why the chat is always open", () => {
    expect(teamHoursLine("t_own", teams)).toBe("Support: Mon–Fri 09:00–17:00 (Europe/Berlin); 1 closed date.");
    expect(teamHoursLine("t_ws", teams)).toBe("Sales (the workspace's hours): Mon–Fri 09:00–17:00 (Europe/Berlin).");
    expect(teamHoursLine("t_ws_unset", teams)).toBe("Billing follows the workspace's hours, which are not set: the chat is always open.");
    expect(teamHoursLine("t_none", teams)).toBe("Ops keeps no hours of its own: the chat is always open.");
    expect(teamHoursLine("t_gone", teams)).toBe("This team does not exist any more: until you choose another, the chat is always open.");
  });
});

describe("display.replyTime", () => {
  it("is absent by default; the checkbox writes auto and, off, removes the field so the settings decode as before", () => {
    expect("replyTime" in DEFAULT_SETTINGS.display).toBe(false);
    const on = updateSetting({}, ["display", "replyTime"], "auto");
    expect(settingAt(on, ["display", "replyTime"])).toBe("auto");
    expect(settingsIssues(on).size).toBe(0);
    const off = updateSetting(on, ["display", "replyTime"], undefined);
    expect(getIn(off, ["display", "replyTime"])).toBeUndefined();
    expect(S.decodeUnknownSync(Settings)(off)).toEqual(DEFAULT_SETTINGS);
  });

  it("names the field for a value that is neither auto nor off", () => {
    const bad = updateSetting({}, ["display", "replyTime"], "sometimes");
    expect(issueAt(settingsIssues(bad), ["display", "replyTime"])).toMatch(/auto|off/);
  });
});
