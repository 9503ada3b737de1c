/**
 * Targeting: which chatflow a page visit gets. Show rules are OR-ed, a matching hide rule
 * always wins, visitor filters are AND-ed, and among matching chatflows the lowest priority
 * number wins. Pure, and safe on hostile input: a bad URL or regex never throws.
 */
import { isAvailable } from "./availability.js";
import type { Availability, Device, Targeting, TargetingRule } from "./flow-spec.js";

/** One page view, as the widget reports it. */
export interface Visit {
  readonly url: string;
  readonly device: Device;
  /** The browser's languages, most preferred first (`navigator.languages`). */
  readonly languages: ReadonlyArray<string>;
  readonly knownContact: boolean;
  /** ms since epoch. */
  readonly now: number;
}

export interface TargetingCandidate {
  readonly id: string;
  readonly priority: number;
  readonly targeting: Targeting;
  readonly availability: Availability;
  /** When set, replaces the business-hours answer (e.g. agents switched to away, or online). */
  readonly availabilityOverride?: boolean;
}

export interface TargetingMatch {
  readonly show: boolean;
  /** One sentence saying what decided, for the builder's "test a URL" box. */
  readonly reason: string;
  /** The rule that decided, when one did. */
  readonly rule?: { readonly list: "show" | "hide"; readonly index: number };
}

// ---------------------------------------------------------------------------------------------
// URL parts

export interface UrlParts {
  /** The URL without its #fragment. */
  readonly full: string;
  /** The URL with its #fragment. */
  readonly href: string;
  /** host + path (+ query), no scheme. */
  readonly hostPath: string;
  readonly hostPathQuery: string;
  readonly path: string;
  readonly pathQuery: string;
  readonly query: URLSearchParams;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

const urlParts = (url: string): UrlParts => {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    try {
      // A path-only URL ("/pricing?a=1") still has a path and a query.
      u = url.startsWith("/") ? new URL(url, "http://_") : undefined;
    } catch {
      u = undefined;
    }
  }
  if (!u) {
    const full = url.split("#")[0]!;
    return {
      full,
      href: url,
      hostPath: full,
      hostPathQuery: full,
      path: "",
      pathQuery: "",
      query: new URLSearchParams(),
    };
  }
  const pathOnly = u.host === "_";
  const full = pathOnly ? u.pathname + u.search : u.href.split("#")[0]!;
  return {
    full,
    href: pathOnly ? url : u.href,
    hostPath: pathOnly ? u.pathname : u.host + u.pathname,
    hostPathQuery: pathOnly ? u.pathname + u.search : u.host + u.pathname + u.search,
    path: u.pathname,
    pathQuery: u.pathname + u.search,
    query: u.searchParams,
  };
};

/** Writes a scheme-ful value the way `URL` writes the page's URL (lower-case host, `/` path). */
const normalizeValue = (value: string): string => {
  if (!SCHEME.test(value)) return value;
  try {
    return new URL(value).href.split("#")[0]!;
  } catch {
    return value;
  }
};

const stripSlash = (s: string): string => (s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s);

// Compiled patterns are cached: selectChatflow runs on every page view with the same rules.
const regexCache = new Map<string, RegExp | null>();
const cachedRegex = (source: string, flags = ""): RegExp | null => {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    try {
      re = new RegExp(source, flags);
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
};

const wildcardRegex = (pattern: string): RegExp | null =>
  cachedRegex(`^${pattern.split("*").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

const matchUrl = (operator: string, rawValue: string, url: UrlParts): boolean => {
  const value = normalizeValue(rawValue.trim());
  const isPath = value.startsWith("/");
  switch (operator) {
    case "all":
      return true;
    case "is": {
      const v = stripSlash(value);
      if (stripSlash(url.full) === v) return true;
      if (isPath) return stripSlash(url.path) === v || stripSlash(url.pathQuery) === v;
      if (!SCHEME.test(value)) return stripSlash(url.hostPath) === v || stripSlash(url.hostPathQuery) === v;
      return false;
    }
    case "contains":
      return value !== "" && url.href.includes(value);
    case "begins_with":
      if (value === "") return false;
      if (url.full.startsWith(value)) return true;
      if (isPath) return url.pathQuery.startsWith(value);
      return !SCHEME.test(value) && url.hostPathQuery.startsWith(value);
    case "ends_with":
      return value !== "" && (url.full.endsWith(value) || url.path.endsWith(value));
    case "wildcard": {
      if (value === "") return false;
      const re = wildcardRegex(value);
      if (!re) return false;
      return [url.full, url.hostPathQuery, url.hostPath, url.pathQuery, url.path].some((s) => re.test(s));
    }
    case "regex": {
      const re = cachedRegex(rawValue);
      // Tested against the path too, so `^/blog/` works as people expect.
      return re !== null && rawValue !== "" && (re.test(url.href) || re.test(url.pathQuery));
    }
    default:
      return false;
  }
};

/** True when one targeting rule matches the page. Pure; never throws. */
export const matchRule = (rule: TargetingRule, url: string | UrlPartsHandle): boolean => {
  const parts = typeof url === "string" ? urlParts(url) : url.parts;
  if (rule.type === "url") return matchUrl(rule.operator, rule.value, parts);
  const values = parts.query.getAll(rule.name);
  switch (rule.operator) {
    case "exists":
      return values.length > 0;
    case "is":
      return values.some((v) => v === rule.value);
    case "contains":
      return values.some((v) => v.includes(rule.value));
  }
};

/** A parsed URL, to match many rules against one page without re-parsing it. */
export interface UrlPartsHandle {
  readonly parts: UrlParts;
}
/** Parses a page URL once for `matchRule`. Pure. */
export const parseVisitUrl = (url: string): UrlPartsHandle => ({ parts: urlParts(url) });

const describeRule = (rule: TargetingRule): string => {
  if (rule.type === "query") {
    return rule.operator === "exists"
      ? `query parameter "${rule.name}" exists`
      : `query parameter "${rule.name}" ${rule.operator === "is" ? "is" : "contains"} "${rule.value}"`;
  }
  if (rule.operator === "all") return "all pages";
  const op = {
    is: "is",
    contains: "contains",
    begins_with: "begins with",
    ends_with: "ends with",
    wildcard: "matches",
    regex: "matches the pattern",
  }[rule.operator];
  return `URL ${op} "${rule.value}"`;
};

/** True when one of the visitor's languages equals a wanted tag or starts with it plus `-`. */
const languageMatches = (wanted: ReadonlyArray<string>, languages: ReadonlyArray<string>): boolean =>
  wanted.some((w) => {
    const want = w.trim().toLowerCase();
    return languages.some((l) => {
      const lang = l.toLowerCase();
      return lang === want || lang.startsWith(`${want}-`);
    });
  });

/**
 * Decides whether a chatflow with these targeting rules shows on this visit, and says which
 * rule (or visitor filter) decided. Pure; never throws.
 */
export const matchTargeting = (targeting: Targeting, visit: Visit): TargetingMatch =>
  matchParsed(targeting, visit, parseVisitUrl(visit.url));

const matchParsed = (targeting: Targeting, visit: Visit, url: UrlPartsHandle): TargetingMatch => {
  const hideIndex = targeting.hide.findIndex((r) => matchRule(r, url));
  if (hideIndex !== -1) {
    return {
      show: false,
      reason: `Hidden: hide rule ${hideIndex + 1} (${describeRule(targeting.hide[hideIndex]!)}) matches, and hide rules always win.`,
      rule: { list: "hide", index: hideIndex },
    };
  }
  const filter = targeting.visitor;
  if (filter.contact === "known" && !visit.knownContact) {
    return { show: false, reason: "Hidden: shown only to known contacts, and this visitor is unknown." };
  }
  if (filter.contact === "unknown" && visit.knownContact) {
    return { show: false, reason: "Hidden: shown only to unknown visitors, and this visitor is a known contact." };
  }
  if (filter.devices.length > 0 && !filter.devices.includes(visit.device)) {
    return { show: false, reason: `Hidden: shown only on ${filter.devices.join(", ")}, and this visit is on ${visit.device}.` };
  }
  if (filter.languages.length > 0 && !languageMatches(filter.languages, visit.languages)) {
    return {
      show: false,
      reason: `Hidden: shown only for the languages ${filter.languages.join(", ")}, and the browser asks for ${visit.languages.join(", ") || "none"}.`,
    };
  }
  if (targeting.show.length === 0) {
    return { show: false, reason: "Hidden: there are no show rules, so this chatflow shows on no page." };
  }
  const showIndex = targeting.show.findIndex((r) => matchRule(r, url));
  if (showIndex === -1) return { show: false, reason: "Hidden: no show rule matches this page." };
  return {
    show: true,
    reason: `Shown: show rule ${showIndex + 1} (${describeRule(targeting.show[showIndex]!)}) matches.`,
    rule: { list: "show", index: showIndex },
  };
};

/**
 * Picks the chatflow for a visit: candidates in priority order (lower number first, ties by
 * id), the first whose targeting shows; one that is away with away behaviour `hide` is passed
 * over. `available` says whether the chosen one is inside its business hours. Pure.
 */
export const selectChatflow = <C extends TargetingCandidate>(
  candidates: ReadonlyArray<C>,
  visit: Visit,
): { chatflow: C; available: boolean } | null => {
  const ordered = [...candidates].sort((a, b) =>
    a.priority !== b.priority ? a.priority - b.priority : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const url = parseVisitUrl(visit.url);
  for (const chatflow of ordered) {
    if (!matchParsed(chatflow.targeting, visit, url).show) continue;
    const available = chatflow.availabilityOverride ?? isAvailable(chatflow.availability, visit.now);
    if (!available && chatflow.availability.awayBehaviour === "hide") continue;
    return { chatflow, available };
  }
  return null;
};
