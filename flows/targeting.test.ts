import { Schema as S } from "effect";
import { describe, expect, it } from "vitest";
import { Availability, Targeting, type TargetingRule } from "./flow-spec.js";
import { matchRule, matchTargeting, selectChatflow, type TargetingCandidate, type Visit } from "./targeting.js";

const visit = (url: string, extra: Partial<Visit> = {}): Visit => ({
  url,
  device: "desktop",
  languages: ["en-US", "en"],
  knownContact: false,
  now: Date.parse("2026-01-05T10:00:00Z"), // a Monday
  ...extra,
});
const targeting = (input: unknown) => S.decodeSync(Targeting)(input as never);
const url = (operator: string, value = ""): TargetingRule =>
  ({ type: "url", operator, value }) as TargetingRule;
const query = (name: string, operator: string, value = ""): TargetingRule =>
  ({ type: "query", name, operator, value }) as TargetingRule;

const PAGE = "https://www.example.com/pricing?plan=pro&ref=ad#faq";

describe("matchRule: every operator", () => {
  it.each<[string, TargetingRule, string, boolean]>([
    ["all", url("all"), PAGE, true],
    ["is: full URL", url("is", "https://www.example.com/pricing?plan=pro&ref=ad"), PAGE, true],
    ["is: full URL ignores a trailing slash", url("is", "https://www.example.com/pricing/"), "https://www.example.com/pricing", true],
    ["is: host is case-insensitive", url("is", "https://WWW.Example.com/pricing"), "https://www.example.com/pricing", true],
    ["is: path only", url("is", "/pricing"), PAGE, true],
    ["is: path with query", url("is", "/pricing?plan=pro&ref=ad"), PAGE, true],
    ["is: host and path", url("is", "www.example.com/pricing"), PAGE, true],
    ["is: other path", url("is", "/pricing/enterprise"), PAGE, false],
    ["is: other full URL", url("is", "https://www.example.com/"), PAGE, false],
    ["is: root", url("is", "/"), "https://www.example.com", true],
    ["contains", url("contains", "plan=pro"), PAGE, true],
    ["contains the fragment", url("contains", "#faq"), PAGE, true],
    ["contains: no", url("contains", "blog"), PAGE, false],
    ["contains: empty value matches nothing", url("contains", ""), PAGE, false],
    ["begins_with: full URL", url("begins_with", "https://www.example.com/pri"), PAGE, true],
    ["begins_with: path", url("begins_with", "/pri"), PAGE, true],
    ["begins_with: path, no", url("begins_with", "/blog"), PAGE, false],
    ["begins_with: host", url("begins_with", "www.example.com/pricing"), PAGE, true],
    ["ends_with: query", url("ends_with", "ref=ad"), PAGE, true],
    ["ends_with: path despite a query", url("ends_with", "/pricing"), PAGE, true],
    ["ends_with: no", url("ends_with", ".pdf"), PAGE, false],
    ["wildcard: full URL", url("wildcard", "https://*.example.com/pricing*"), PAGE, true],
    ["wildcard: host and path", url("wildcard", "*.example.com/pri*"), PAGE, true],
    ["wildcard: path", url("wildcard", "/blog/*/comments"), "https://x.com/blog/2026/comments", true],
    ["wildcard: anchored", url("wildcard", "/blog/*"), "https://x.com/en/blog/post", false],
    ["wildcard: dots are literal", url("wildcard", "x.com/a*"), "https://xycom/a", false],
    ["regex: full URL", url("regex", "example\\.com/(pricing|plans)"), PAGE, true],
    ["regex: path", url("regex", "^/pricing$"), "https://www.example.com/pricing", true],
    ["regex: no", url("regex", "^/blog"), PAGE, false],
    ["regex: invalid never matches or throws", url("regex", "(["), PAGE, false],
    ["query is", query("plan", "is", "pro"), PAGE, true],
    ["query is: exact", query("plan", "is", "pr"), PAGE, false],
    ["query contains", query("ref", "contains", "a"), PAGE, true],
    ["query contains: no", query("ref", "contains", "z"), PAGE, false],
    ["query exists", query("ref", "exists"), PAGE, true],
    ["query exists: no", query("utm_source", "exists"), PAGE, false],
    ["query on a repeated parameter", query("tag", "is", "b"), "https://x.com/?tag=a&tag=b", true],
    ["a malformed page URL never throws", url("contains", "abc"), "not a url abc", true],
  ])("%s", (_name, rule, page, expected) => {
    expect(matchRule(rule, page)).toBe(expected);
  });
});

describe("matchTargeting", () => {
  it("ORs the show rules and says which one matched", () => {
    const result = matchTargeting(targeting({ show: [url("is", "/blog"), url("begins_with", "/pricing")] }), visit(PAGE));
    expect(result).toMatchObject({ show: true, rule: { list: "show", index: 1 } });
    expect(result.reason).toMatch(/show rule 2/);
  });

  it("shows nowhere without show rules", () => {
    const result = matchTargeting(targeting({ show: [] }), visit(PAGE));
    expect(result.show).toBe(false);
    expect(result.reason).toMatch(/no show rules/);
  });

  it("lets a matching hide rule win over a show rule", () => {
    const t = targeting({ show: [url("all")], hide: [query("plan", "exists"), url("contains", "pricing")] });
    expect(matchTargeting(t, visit(PAGE))).toMatchObject({ show: false, rule: { list: "hide", index: 0 } });
    expect(matchTargeting(t, visit("https://www.example.com/blog")).show).toBe(true);
  });

  it("says when no show rule matches", () => {
    expect(matchTargeting(targeting({ show: [url("is", "/blog")] }), visit(PAGE))).toEqual({
      show: false,
      reason: "Hidden: no show rule matches this page.",
    });
  });

  it.each<[string, unknown, Partial<Visit>, boolean]>([
    ["known contacts only, unknown visitor", { contact: "known" }, {}, false],
    ["known contacts only, known contact", { contact: "known" }, { knownContact: true }, true],
    ["unknown visitors only, known contact", { contact: "unknown" }, { knownContact: true }, false],
    ["unknown visitors only, unknown visitor", { contact: "unknown" }, {}, true],
    ["mobile only, desktop", { devices: ["mobile"] }, {}, false],
    ["mobile or tablet, tablet", { devices: ["mobile", "tablet"] }, { device: "tablet" }, true],
    ["German, English browser", { languages: ["de"] }, {}, false],
    ["German, Austrian German browser", { languages: ["de"] }, { languages: ["de-AT"] }, true],
    ["German, second language", { languages: ["de"] }, { languages: ["en-US", "de"] }, true],
    ["en-GB, en-US browser", { languages: ["en-GB"] }, {}, false],
    ["'en' does not match 'eng'", { languages: ["en"] }, { languages: ["eng"] }, false],
    ["all filters AND-ed, one fails", { contact: "known", devices: ["desktop"], languages: ["fr"] }, { knownContact: true }, false],
    ["all filters AND-ed, all pass", { contact: "known", devices: ["desktop"], languages: ["EN"] }, { knownContact: true }, true],
  ])("visitor filter: %s", (_name, filter, extra, expected) => {
    const t = targeting({ show: [url("all")], visitor: filter });
    expect(matchTargeting(t, visit(PAGE, extra)).show).toBe(expected);
  });
});

describe("selectChatflow", () => {
  const always = S.decodeSync(Availability)({});
  const mondayMorning = (awayBehaviour: string) =>
    S.decodeSync(Availability)({
      mode: "business_hours",
      timezone: "UTC",
      hours: [{ day: "mon", from: "08:00", to: "09:00" }],
      awayBehaviour: awayBehaviour as "hide",
    });
  const flow = (id: string, priority: number, show: TargetingRule[], availability = always, extra: Partial<TargetingCandidate> = {}) => ({
    id,
    priority,
    targeting: targeting({ show }),
    availability,
    ...extra,
  });

  it("takes the lowest priority number among the matching chatflows", () => {
    const candidates = [flow("general", 100, [url("all")]), flow("pricing", 10, [url("is", "/pricing")]), flow("blog", 1, [url("is", "/blog")])];
    expect(selectChatflow(candidates, visit(PAGE))?.chatflow.id).toBe("pricing");
    expect(selectChatflow(candidates, visit("https://www.example.com/blog"))?.chatflow.id).toBe("blog");
    expect(selectChatflow(candidates, visit("https://www.example.com/about"))?.chatflow.id).toBe("general");
  });

  it("breaks ties by id and returns null when nothing matches", () => {
    expect(selectChatflow([flow("b", 5, [url("all")]), flow("a", 5, [url("all")])], visit(PAGE))?.chatflow.id).toBe("a");
    expect(selectChatflow([flow("a", 5, [url("is", "/x")])], visit(PAGE))).toBeNull();
    expect(selectChatflow([], visit(PAGE))).toBeNull();
  });

  it("passes over a chatflow that is away and hides when away", () => {
    const candidates = [flow("support", 1, [url("all")], mondayMorning("hide")), flow("fallback", 2, [url("all")])];
    expect(selectChatflow(candidates, visit(PAGE))).toEqual({ chatflow: candidates[1], available: true });
    const open = visit(PAGE, { now: Date.parse("2026-01-05T08:30:00Z") });
    expect(selectChatflow(candidates, open)).toEqual({ chatflow: candidates[0], available: true });
  });

  it("keeps an away chatflow that shows an away message, marked unavailable", () => {
    const candidates = [flow("support", 1, [url("all")], mondayMorning("away_message")), flow("fallback", 2, [url("all")])];
    expect(selectChatflow(candidates, visit(PAGE))).toEqual({ chatflow: candidates[0], available: false });
  });

  it("honours an availability override either way", () => {
    const away = flow("support", 1, [url("all")], always, { availabilityOverride: false });
    expect(selectChatflow([away], visit(PAGE))).toEqual({ chatflow: away, available: false });
    const hidden = flow("support", 1, [url("all")], mondayMorning("hide"), { availabilityOverride: true });
    expect(selectChatflow([hidden], visit(PAGE))).toEqual({ chatflow: hidden, available: true });
  });
});
