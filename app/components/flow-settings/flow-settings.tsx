/**
 * The flow's settings tabs — Targeting (with the "test a URL" box), Display, Availability,
 * Language and Session timeout. Every field writes one path of the draft's settings and shows
 * the Settings schema's message for that path (the same one the compiler lists and the
 * server enforces at publish).
 */
import { Either } from "effect";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { isAvailable, isValidTimezone, nextOpening, sameClosedDay, servedAvailability } from "../../../flows/availability.js";
import type { Availability, Device, TargetingRule, Weekday } from "../../../flows/flow-spec.js";
import { Field } from "../field.js";
import { CalendarImport, type CalendarRead, type CalendarSource } from "./calendar-import.js";
import {
  availabilityOf,
  checkMoment,
  followedTeamIssue,
  issueAt,
  issuesUnder,
  languageIssue,
  numberFromField,
  settingAt,
  settingsIssues,
  teamHoursLine,
  testUrl,
  updateSetting,
  type Path,
  type TeamCalendarView,
  type UrlTest,
} from "./settings-model.js";

export type SettingsTab = "targeting" | "display" | "availability" | "language" | "session";

export const SETTINGS_TABS: ReadonlyArray<{ readonly id: SettingsTab; readonly label: string }> = [
  { id: "targeting", label: "Targeting" },
  { id: "display", label: "Display" },
  { id: "availability", label: "Availability" },
  { id: "language", label: "Language" },
  { id: "session", label: "Session timeout" },
];

export interface FlowSettingsProps {
  /** The draft's settings as saved (loosely typed). */
  readonly settings: unknown;
  readonly language: string;
  /** Writes new settings; `key` names the field so typing in it is one undo step. */
  readonly onSettingsChange: (settings: unknown, key: string) => void;
  readonly onLanguageChange: (language: string) => void;
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly users: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** The workspace's closed dates (Reports page), which the Availability tab copies in, or counts when the flow follows them. */
  readonly workspaceClosed?: WorkspaceClosedDates;
  /** Every team's hours, for a flow that follows a team's (decision 048). */
  readonly teamCalendars?: ReadonlyArray<TeamCalendarView>;
  readonly tab: SettingsTab;
  readonly onTabChange: (tab: SettingsTab) => void;
  readonly readOnly?: boolean;
  /** Previews a calendar's closed dates on the server (decision 052); without it the Availability tab offers no import. */
  readonly readCalendar?: (source: CalendarSource, closedDates: ReadonlyArray<unknown>) => Promise<CalendarRead>;
}

export type { CalendarRead, CalendarSource } from "./calendar-import.js";

/** A closed date as the settings hold it (loosely: a half-typed date must survive autosave). */
interface ClosedDateValue {
  readonly date?: string;
  readonly name?: string;
  readonly yearly?: boolean;
  /** A special day's own hours (decision 051); absent: closed all day. */
  readonly hours?: ReadonlyArray<{ readonly from?: string; readonly to?: string }>;
}

export interface WorkspaceClosedDates {
  readonly timezone: string;
  /** Copied into the flow as they are, special hours included. */
  readonly dates: ReadonlyArray<{ readonly date: string; readonly name?: string; readonly yearly: boolean; readonly hours?: ReadonlyArray<{ readonly from: string; readonly to: string }> }>;
}

interface Api {
  readonly raw: unknown;
  readonly issues: ReadonlyMap<string, string>;
  readonly value: (path: Path) => unknown;
  /** `key`: edits with the same key in a row are one undo step (by default the path's: typing in one field). */
  readonly set: (path: Path, value: unknown, key?: string) => void;
  readonly error: (path: Path) => string | undefined;
  readonly readOnly: boolean;
}

const keyOf = (path: Path) => `settings.${path.join(".")}`;
const idOf = (path: Path) => `fs-${path.join("-")}`;

/** The settings tabs of one flow. */
export function FlowSettings(props: FlowSettingsProps) {
  const { settings, onSettingsChange, tab, onTabChange } = props;
  const issues = useMemo(() => settingsIssues(settings), [settings]);
  const api: Api = {
    raw: settings,
    issues,
    value: (path) => settingAt(settings, path),
    set: (path, value, key) => onSettingsChange(updateSetting(settings, path, value), key ?? keyOf(path)),
    error: (path) => issueAt(issues, path),
    readOnly: props.readOnly === true,
  };
  const count = (prefix: string) => [...issues.keys()].filter((p) => p.startsWith(prefix)).length;
  return (
    <div className="fs-settings">
      <nav className="fs-tabs" aria-label="Settings sections">
        <ul role="tablist" aria-orientation="vertical">
          {SETTINGS_TABS.map((t) => {
            const problems =
              t.id === "targeting"
                ? count("targeting")
                : t.id === "display"
                  ? count("display")
                  : t.id === "availability"
                    ? count("availability") + (followedTeamIssue(settings, props.teams) === undefined ? 0 : 1)
                    : t.id === "session"
                      ? count("sessionTimeoutMinutes")
                      : languageIssue(props.language)
                        ? 1
                        : 0;
            return (
              <li key={t.id} role="presentation">
                <button
                  type="button"
                  role="tab"
                  id={`fs-tab-${t.id}`}
                  aria-selected={tab === t.id}
                  aria-controls={`fs-panel-${t.id}`}
                  className="fs-tab"
                  onClick={() => onTabChange(t.id)}
                >
                  {t.label}
                  {problems > 0 ? (
                    <span className="fs-count" aria-label={`${problems} problem${problems === 1 ? "" : "s"}`}>
                      {problems}
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="fs-panel" role="tabpanel" id={`fs-panel-${tab}`} aria-labelledby={`fs-tab-${tab}`}>
        {tab === "targeting" ? <TargetingTab api={api} /> : null}
        {tab === "display" ? <DisplayTab api={api} teams={props.teams} users={props.users} /> : null}
        {tab === "availability" ? <AvailabilityTab api={api} workspaceClosed={props.workspaceClosed} teams={props.teams} calendars={props.teamCalendars ?? []} readCalendar={props.readCalendar} /> : null}
        {tab === "language" ? <LanguageTab language={props.language} onChange={props.onLanguageChange} readOnly={api.readOnly} /> : null}
        {tab === "session" ? <SessionTab api={api} /> : null}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Small controls

function Section({ title, hint, children }: { title: string; hint?: string; children: ReactNode }) {
  return (
    <section className="fs-section" aria-label={title}>
      <h3>{title}</h3>
      {hint ? <p className="muted fs-hint">{hint}</p> : null}
      {children}
    </section>
  );
}

function TextSetting({ api, path, label, hint, multiline = false, placeholder }: { api: Api; path: Path; label: string; hint?: string; multiline?: boolean; placeholder?: string }) {
  const value = api.value(path);
  const text = typeof value === "string" ? value : value === undefined ? "" : String(value);
  return (
    <Field id={idOf(path)} label={label} error={api.error(path)} {...(hint ? { hint } : {})}>
      {(props) =>
        multiline ? (
          <textarea {...props} rows={3} value={text} readOnly={api.readOnly} placeholder={placeholder} onChange={(e) => api.set(path, e.currentTarget.value)} />
        ) : (
          <input {...props} value={text} readOnly={api.readOnly} placeholder={placeholder} onChange={(e) => api.set(path, e.currentTarget.value)} />
        )
      }
    </Field>
  );
}

/** A number field that keeps what is typed (even "" or "1e") while the stored value follows it. */
function NumberSetting({ api, path, label, hint, min, max }: { api: Api; path: Path; label: string; hint?: string; min?: number; max?: number }) {
  const value = api.value(path);
  const [text, setText] = useState(value === undefined ? "" : String(value));
  useEffect(() => {
    // Follow outside changes (undo, a JSON edit), not the echo of our own typing.
    if ((numberFromField(text) ?? "") !== value) setText(value === undefined ? "" : String(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <Field id={idOf(path)} label={label} error={api.error(path)} {...(hint ? { hint } : {})}>
      {(props) => (
        <input
          {...props}
          inputMode="numeric"
          value={text}
          readOnly={api.readOnly}
          {...(min !== undefined ? { "aria-valuemin": min } : {})}
          {...(max !== undefined ? { "aria-valuemax": max } : {})}
          onChange={(e) => {
            const next = e.currentTarget.value;
            setText(next);
            // An emptied field stores "" so the schema says a number is needed (rather than silently using the default).
            api.set(path, numberFromField(next) ?? "");
          }}
        />
      )}
    </Field>
  );
}

function SelectSetting({
  api,
  path,
  label,
  options,
  hint,
  onChange,
}: {
  api: Api;
  path: Path;
  label: string;
  options: ReadonlyArray<readonly [string, string]>;
  hint?: string;
  onChange?: (value: string) => void;
}) {
  const value = api.value(path);
  return (
    <Field id={idOf(path)} label={label} error={api.error(path)} {...(hint ? { hint } : {})}>
      {(props) => (
        <select {...props} value={typeof value === "string" ? value : ""} disabled={api.readOnly} onChange={(e) => (onChange ? onChange(e.currentTarget.value) : api.set(path, e.currentTarget.value))}>
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function Problems({ issues }: { issues: ReadonlyArray<readonly [string, string]> }) {
  if (issues.length === 0) return null;
  return (
    <ul className="fs-problems" role="alert">
      {issues.map(([path, message]) => (
        <li key={path}>
          <code>{path}</code>: {message}
        </li>
      ))}
    </ul>
  );
}

// ---------------------------------------------------------------------------------------------
// Targeting

const URL_OPERATORS: ReadonlyArray<readonly [string, string]> = [
  ["all", "All pages"],
  ["is", "URL is"],
  ["contains", "URL contains"],
  ["begins_with", "URL begins with"],
  ["ends_with", "URL ends with"],
  ["wildcard", "URL matches wildcard (*)"],
  ["regex", "URL matches regex"],
];
const QUERY_OPERATORS: ReadonlyArray<readonly [string, string]> = [
  ["is", "is"],
  ["contains", "contains"],
  ["exists", "exists"],
];

function RuleList({ api, list, decided }: { api: Api; list: "show" | "hide"; decided: number | null }) {
  const path: Path = ["targeting", list];
  const value = api.value(path);
  const rules = (Array.isArray(value) ? value : []) as ReadonlyArray<Partial<TargetingRule> & Record<string, unknown>>;
  const title = list === "show" ? "Show rule" : "Hide rule";
  const setRule = (index: number, rule: unknown) => api.set([...path, index], rule);
  const remove = (index: number) => api.set(path, rules.filter((_, i) => i !== index));
  return (
    <div className="fs-rules">
      {rules.length === 0 ? (
        <p className="muted">{list === "show" ? "No show rules: this flow shows on no page." : "No hide rules."}</p>
      ) : (
        <ol className="fs-rule-list">
          {rules.map((rule, i) => {
            const n = i + 1;
            const type = rule.type === "query" ? "query" : "url";
            const rulePath: Path = [...path, i];
            return (
              <li key={i} className={decided === i ? "fs-rule fs-rule--decided" : "fs-rule"} aria-label={`${title} ${n}`}>
                <label className="fs-inline">
                  <span className="fe-sr">{`${title} ${n} `}</span>Match on
                  <select
                    value={type}
                    disabled={api.readOnly}
                    onChange={(e) =>
                      setRule(i, e.currentTarget.value === "query" ? { type: "query", name: "", operator: "exists", value: "" } : { type: "url", operator: "contains", value: "" })
                    }
                  >
                    <option value="url">Page URL</option>
                    <option value="query">Query parameter</option>
                  </select>
                </label>
                {type === "query" ? (
                  <label className="fs-inline">
                    <span className="fe-sr">{`${title} ${n} `}</span>Parameter
                    <input
                      value={String(rule.name ?? "")}
                      readOnly={api.readOnly}
                      aria-invalid={api.error([...rulePath, "name"]) ? true : undefined}
                      onChange={(e) => setRule(i, { ...rule, name: e.currentTarget.value })}
                      placeholder="utm_source"
                    />
                  </label>
                ) : null}
                <label className="fs-inline">
                  <span className="fe-sr">{`${title} ${n} `}</span>Condition
                  <select value={String(rule.operator ?? "")} disabled={api.readOnly} onChange={(e) => setRule(i, { ...rule, operator: e.currentTarget.value })}>
                    {(type === "query" ? QUERY_OPERATORS : URL_OPERATORS).map(([v, t]) => (
                      <option key={v} value={v}>
                        {t}
                      </option>
                    ))}
                  </select>
                </label>
                {rule.operator !== "all" && rule.operator !== "exists" ? (
                  <label className="fs-inline fs-grow">
                    <span className="fe-sr">{`${title} ${n} `}</span>Value
                    <input
                      value={String(rule.value ?? "")}
                      readOnly={api.readOnly}
                      aria-invalid={api.error([...rulePath, "value"]) ? true : undefined}
                      onChange={(e) => setRule(i, { ...rule, value: e.currentTarget.value })}
                      placeholder={type === "query" ? "newsletter" : rule.operator === "regex" ? "^/blog/\\d+" : "/pricing"}
                    />
                  </label>
                ) : null}
                <button type="button" className="button button--secondary button--small" disabled={api.readOnly} onClick={() => remove(i)} aria-label={`Remove ${title.toLowerCase()} ${n}`}>
                  Remove
                </button>
                {decided === i ? <span className="badge fs-decided">decided the test below</span> : null}
              </li>
            );
          })}
        </ol>
      )}
      <Problems issues={issuesUnder(api.issues, path)} />
      <button
        type="button"
        className="button button--secondary button--small"
        disabled={api.readOnly}
        onClick={() => api.set(path, [...rules, { type: "url", operator: "contains", value: "" }])}
      >
        Add {title.toLowerCase()}
      </button>
    </div>
  );
}

const DEVICES: ReadonlyArray<readonly [Device, string]> = [
  ["desktop", "Desktop"],
  ["tablet", "Tablet"],
  ["mobile", "Mobile"],
];

function TargetingTab({ api }: { api: Api }) {
  const [test, setTest] = useState<UrlTest>({ url: "", device: "desktop", knownContact: false, languages: "en" });
  const result = useMemo(() => testUrl(api.raw, test), [api.raw, test]);
  const decided = Either.isRight(result) ? result.right.rule : undefined;
  const devices = (api.value(["targeting", "visitor", "devices"]) ?? []) as ReadonlyArray<string>;
  const languages = (api.value(["targeting", "visitor", "languages"]) ?? []) as ReadonlyArray<string>;
  return (
    <>
      <Section title="Show on these pages" hint="The flow shows where any show rule matches.">
        <RuleList api={api} list="show" decided={decided?.list === "show" ? decided.index : null} />
      </Section>
      <Section title="Hide on these pages" hint="A matching hide rule always wins over show rules.">
        <RuleList api={api} list="hide" decided={decided?.list === "hide" ? decided.index : null} />
      </Section>
      <Section title="Visitors" hint="Every filter must match.">
        <SelectSetting
          api={api}
          path={["targeting", "visitor", "contact"]}
          label="Who"
          options={[
            ["any", "Anyone"],
            ["known", "Known contacts only"],
            ["unknown", "Unknown visitors only"],
          ]}
        />
        <fieldset className="fs-fieldset">
          <legend>Devices (none ticked: every device)</legend>
          {DEVICES.map(([device, label]) => (
            <label key={device} className="fs-check">
              <input
                type="checkbox"
                checked={devices.includes(device)}
                disabled={api.readOnly}
                onChange={(e) =>
                  api.set(
                    ["targeting", "visitor", "devices"],
                    e.currentTarget.checked ? [...devices, device] : devices.filter((d) => d !== device),
                  )
                }
              />
              {label}
            </label>
          ))}
        </fieldset>
        <Field
          id="fs-targeting-languages"
          label="Browser languages"
          hint="Comma-separated language codes such as de, en-GB; empty: every language."
          error={issuesUnder(api.issues, ["targeting", "visitor", "languages"])[0]?.[1]}
        >
          {(props) => (
            <input
              {...props}
              value={languages.join(", ")}
              readOnly={api.readOnly}
              onChange={(e) =>
                api.set(
                  ["targeting", "visitor", "languages"],
                  e.currentTarget.value
                    .split(",")
                    .map((l) => l.trim())
                    .filter((l, i, all) => l !== "" || i === all.length - 1),
                )
              }
            />
          )}
        </Field>
      </Section>
      <Section title="Test a URL" hint="Would this flow show there? The answer names the rule that decided.">
        <div className="fs-test">
          <Field id="fs-test-url" label="Page address to test">
            {(props) => (
              <input {...props} type="url" value={test.url} placeholder="https://example.com/pricing" onChange={(e) => setTest({ ...test, url: e.currentTarget.value })} />
            )}
          </Field>
          <Field id="fs-test-device" label="Device">
            {(props) => (
              <select {...props} value={test.device} onChange={(e) => setTest({ ...test, device: e.currentTarget.value as Device })}>
                {DEVICES.map(([d, label]) => (
                  <option key={d} value={d}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field id="fs-test-languages" label="Languages">
            {(props) => <input {...props} value={test.languages} onChange={(e) => setTest({ ...test, languages: e.currentTarget.value })} />}
          </Field>
          <label className="fs-check">
            <input type="checkbox" checked={test.knownContact} onChange={(e) => setTest({ ...test, knownContact: e.currentTarget.checked })} />
            Known contact
          </label>
        </div>
        <CheckAnswer label="Test result" result={Either.map(result, (r) => ({ good: r.show, reason: r.reason }))} />
      </Section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Display

function DisplayTab({ api, teams, users }: { api: Api; teams: FlowSettingsProps["teams"]; users: FlowSettingsProps["users"] }) {
  const popOpen = (api.value(["display", "popOpen"]) ?? { mode: "never" }) as { mode?: string };
  const heading = (api.value(["display", "heading"]) ?? { type: "agents" }) as { type?: string; userIds?: string[]; teamIds?: string[] };
  const accent = api.value(["display", "accentColor"]);
  const pick = (list: "userIds" | "teamIds", id: string, on: boolean) => {
    const current = heading[list] ?? [];
    api.set(["display", "heading", list], on ? [...current, id] : current.filter((x) => x !== id));
  };
  return (
    <>
      <Section title="Welcome">
        <TextSetting api={api} path={["display", "welcomeMessage"]} label="Welcome message" multiline hint="Shown on the launcher before the chat opens; empty shows none." />
        <SelectSetting
          api={api}
          path={["display", "popOpen", "mode"]}
          label="Open the chat by itself"
          options={[
            ["never", "Never"],
            ["after_seconds", "After some seconds"],
            ["after_scroll", "After scrolling part of the page"],
            ["exit_intent", "When the visitor is about to leave"],
          ]}
          onChange={(mode) =>
            api.set(
              ["display", "popOpen"],
              mode === "after_seconds" ? { mode, seconds: 10 } : mode === "after_scroll" ? { mode, percent: 50 } : { mode },
            )
          }
        />
        {popOpen.mode === "after_seconds" ? <NumberSetting api={api} path={["display", "popOpen", "seconds"]} label="Seconds on the page" min={0} max={3600} /> : null}
        {popOpen.mode === "after_scroll" ? <NumberSetting api={api} path={["display", "popOpen", "percent"]} label="Percent of the page scrolled" min={0} max={100} /> : null}
      </Section>
      <Section title="Chat heading" hint="Who visitors see at the top of the chat.">
        <SelectSetting
          api={api}
          path={["display", "heading", "type"]}
          label="Heading shows"
          options={[
            ["agents", "Team members (names and avatars)"],
            ["custom", "A custom name and avatar"],
          ]}
          onChange={(type) => api.set(["display", "heading"], type === "custom" ? { type, name: "Parley" } : { type: "agents", userIds: [], teamIds: [] })}
        />
        {heading.type === "custom" ? (
          <>
            <TextSetting api={api} path={["display", "heading", "name"]} label="Heading name" />
            <TextSetting api={api} path={["display", "heading", "avatarUrl"]} label="Avatar URL" placeholder="https://…/avatar.png" />
          </>
        ) : (
          <div className="fs-columns">
            <fieldset className="fs-fieldset">
              <legend>Teams</legend>
              {teams.length === 0 ? <p className="muted">No teams yet.</p> : null}
              {teams.map((t) => (
                <label key={t.id} className="fs-check">
                  <input type="checkbox" disabled={api.readOnly} checked={(heading.teamIds ?? []).includes(t.id)} onChange={(e) => pick("teamIds", t.id, e.currentTarget.checked)} />
                  {t.name}
                </label>
              ))}
            </fieldset>
            <fieldset className="fs-fieldset">
              <legend>People</legend>
              {users.map((u) => (
                <label key={u.id} className="fs-check">
                  <input type="checkbox" disabled={api.readOnly} checked={(heading.userIds ?? []).includes(u.id)} onChange={(e) => pick("userIds", u.id, e.currentTarget.checked)} />
                  {u.name}
                </label>
              ))}
            </fieldset>
          </div>
        )}
        <Problems issues={issuesUnder(api.issues, ["display", "heading"]).filter(([p]) => !/\.(name|avatarUrl)$/.test(p))} />
        <label className="fs-check">
          <input
            type="checkbox"
            aria-describedby="fs-display-replyTime-hint"
            disabled={api.readOnly}
            checked={api.value(["display", "replyTime"]) === "auto"}
            // Off removes the field: a spec without it keeps the content hash it had before the setting existed.
            onChange={(e) => api.set(["display", "replyTime"], e.currentTarget.checked ? "auto" : undefined)}
          />
          Show how soon the team usually replies
        </label>
        <p className="muted fs-hint" id="fs-display-replyTime-hint">
          Under the heading, while the team is available: the median time to a person&apos;s first reply after a conversation
          reached this channel&apos;s inbox, over the last 14 days, in rough steps (a few minutes, under 15 minutes, under an
          hour, a few hours, within a day). Shown once there are at least 5 first replies; slower than a day shows nothing.
          When the flow follows a team&apos;s hours, or the heading shows teams, only that team&apos;s replies count.
        </p>
        <Problems issues={issuesUnder(api.issues, ["display", "replyTime"])} />
      </Section>
      <Section title="Look">
        <Field id="fs-display-accentColor" label="Accent colour" error={api.error(["display", "accentColor"])} hint="#rrggbb">
          {(props) => (
            <div className="fs-color">
              <input
                type="color"
                aria-label="Accent colour picker"
                value={typeof accent === "string" && /^#[0-9a-fA-F]{6}$/.test(accent) ? accent : "#3b5bdb"}
                disabled={api.readOnly}
                onChange={(e) => api.set(["display", "accentColor"], e.currentTarget.value)}
              />
              <input {...props} value={typeof accent === "string" ? accent : ""} readOnly={api.readOnly} onChange={(e) => api.set(["display", "accentColor"], e.currentTarget.value)} />
            </div>
          )}
        </Field>
        <SelectSetting
          api={api}
          path={["display", "launcherPosition"]}
          label="Launcher position"
          options={[
            ["bottom_right", "Bottom right"],
            ["bottom_left", "Bottom left"],
          ]}
        />
      </Section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Availability

const WEEKDAYS: ReadonlyArray<readonly [Weekday, string]> = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];

/** IANA zones the browser knows (the server checks the same list), with the current value kept even if unknown. */
const timezones = (current: string): ReadonlyArray<string> => {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"];
  const all = zones.includes("UTC") ? zones : ["UTC", ...zones];
  return current && !all.includes(current) ? [current, ...all] : all;
};

function AvailabilityTab({
  api,
  workspaceClosed,
  teams,
  calendars,
  readCalendar,
}: {
  api: Api;
  workspaceClosed: WorkspaceClosedDates | undefined;
  teams: FlowSettingsProps["teams"];
  calendars: ReadonlyArray<TeamCalendarView>;
  readCalendar: FlowSettingsProps["readCalendar"];
}) {
  const mode = api.value(["availability", "mode"]);
  const teamIdValue = api.value(["availability", "teamId"]);
  const teamId = typeof teamIdValue === "string" ? teamIdValue : "";
  const timezone = String(api.value(["availability", "timezone"]) ?? "UTC");
  const hoursValue = api.value(["availability", "hours"]);
  const hours = (Array.isArray(hoursValue) ? hoursValue : []) as ReadonlyArray<{ day?: string; from?: string; to?: string }>;
  const zones = useMemo(() => timezones(timezone), [timezone]);
  // As the chat is served: with the workspace's closed dates when the flow follows them, or the hours of the team it follows.
  const own = availabilityOf(api.raw);
  const availability = own && servedAvailability(own, { workspaceClosed: workspaceClosed?.dates ?? [], teamSchedule: (id) => calendars.find((t) => t.teamId === id)?.schedule ?? null });
  const followed = mode === "team" ? teams.find((t) => t.id === teamId) : undefined;
  const now = Date.now();
  const open = availability ? isAvailable(availability, now) : null;
  const next = availability && open === false ? nextOpening(availability, now) : null;
  const setHours = (next: ReadonlyArray<unknown>) => api.set(["availability", "hours"], next);
  return (
    <>
      <Section title="When the team answers">
        <SelectSetting
          api={api}
          path={["availability", "mode"]}
          label="Available"
          options={[
            ["always", "Always"],
            ["business_hours", "During business hours"],
            ["team", "Follow a team's hours"],
          ]}
        />
        {mode === "team" ? <FollowTeam api={api} teamId={teamId} teams={teams} calendars={calendars} /> : null}
        {mode === "team" ? null : (
          <Field id="fs-availability-timezone" label="Time zone" error={api.error(["availability", "timezone"]) ?? (isValidTimezone(timezone) ? undefined : "not a time zone this browser knows")}>
            {(props) => (
              <select {...props} value={timezone} disabled={api.readOnly} onChange={(e) => api.set(["availability", "timezone"], e.currentTarget.value)}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {mode === "business_hours" ? (
          <fieldset className="fs-fieldset fs-hours">
            <legend>Business hours ({timezone})</legend>
            {WEEKDAYS.map(([day, name]) => {
              const entries = hours.map((h, index) => ({ h, index })).filter(({ h }) => h.day === day);
              return (
                <div key={day} className="fs-day">
                  <label className="fs-check fs-day__name">
                    <input
                      type="checkbox"
                      checked={entries.length > 0}
                      disabled={api.readOnly}
                      onChange={(e) =>
                        setHours(e.currentTarget.checked ? [...hours, { day, from: "09:00", to: "17:00" }] : hours.filter((h) => h.day !== day))
                      }
                    />
                    Open on {name}
                  </label>
                  <div className="fs-day__ranges">
                    {entries.map(({ h, index }, k) => (
                      <span key={index} className="fs-range">
                        <label>
                          <span className="fe-sr">{`${name} hours ${k + 1} `}</span>from
                          <input
                            type="time"
                            value={h.from ?? ""}
                            readOnly={api.readOnly}
                            aria-invalid={api.error(["availability", "hours", index, "from"]) ? true : undefined}
                            onChange={(e) => api.set(["availability", "hours", index, "from"], e.currentTarget.value)}
                          />
                        </label>
                        <label>
                          <span className="fe-sr">{`${name} hours ${k + 1} `}</span>to
                          <input
                            type="time"
                            value={h.to === "24:00" ? "23:59" : (h.to ?? "")}
                            readOnly={api.readOnly}
                            aria-invalid={api.error(["availability", "hours", index, "to"]) ? true : undefined}
                            onChange={(e) => api.set(["availability", "hours", index, "to"], e.currentTarget.value)}
                          />
                        </label>
                        <button
                          type="button"
                          className="icon-button"
                          disabled={api.readOnly}
                          aria-label={`Remove ${name} hours ${k + 1}`}
                          onClick={() => setHours(hours.filter((_, i) => i !== index))}
                        >
                          ×
                        </button>
                      </span>
                    ))}
                    {entries.length > 0 ? (
                      <button type="button" className="button button--secondary button--small" disabled={api.readOnly} onClick={() => setHours([...hours, { day, from: "13:00", to: "17:00" }])}>
                        Add hours on {name}
                      </button>
                    ) : null}
                  </div>
                </div>
              );
            })}
            <Problems issues={issuesUnder(api.issues, ["availability", "hours"])} />
          </fieldset>
        ) : null}
        {mode === "business_hours" ? <ClosedDatesSetting api={api} timezone={timezone} workspaceClosed={workspaceClosed} readCalendar={readCalendar} /> : null}
        {availability?.mode === "business_hours" ? <CheckMoment availability={availability} {...(followed ? { team: followed.name } : {})} /> : null}
        {open !== null ? (
          <p className="muted" role="status">
            {open
              ? "Open right now."
              : `Away right now${next !== null ? `; opens again ${new Date(next).toLocaleString(undefined, { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" })} (your time)` : ""}.`}
          </p>
        ) : null}
      </Section>
      <Section title="When nobody is available">
        <SelectSetting
          api={api}
          path={["availability", "awayBehaviour"]}
          label="Away behaviour"
          options={[
            ["away_message", "Show the away message"],
            ["collect_email", "Show the away message and ask for an email address"],
            ["hide", "Hide the chat"],
          ]}
        />
        <TextSetting api={api} path={["availability", "awayMessage"]} label="Away message" multiline />
      </Section>
    </>
  );
}

/** The answer of a settings check (a URL, a moment), announced as it changes: green when yes, red when no, plain when there is no question yet. */
function CheckAnswer({ label, result }: { label: string; result: Either.Either<{ readonly good: boolean; readonly reason: string }, string> }) {
  return (
    <p
      className={Either.isRight(result) ? (result.right.good ? "notice notice--success" : "notice notice--error") : "notice"}
      role="status"
      aria-live="polite"
      aria-label={label}
    >
      {Either.isRight(result) ? result.right.reason : result.left}
    </p>
  );
}

/** "Will the chat be open on Christmas Eve at 10:00?": a day and time on the flow's clock, and the answer with its reason. */
function CheckMoment({ availability, team }: { availability: Availability; team?: string }) {
  const [moment, setMoment] = useState("");
  const result = checkMoment(availability, moment, team);
  return (
    <div className="fs-moment">
      <Field id="fs-availability-moment" label={`Check a moment (${availability.timezone})`}>
        {(props) => <input {...props} type="datetime-local" value={moment} onChange={(e) => setMoment(e.currentTarget.value)} />}
      </Field>
      <CheckAnswer label="Moment check" result={Either.map(result, (r) => ({ good: r.open, reason: r.reason }))} />
    </div>
  );
}

/**
 * "Follow a team's hours": which team, its hours in one line, and where they are edited (the
 * team's settings page). An empty or unknown team shows the compiler's message at the field.
 */
function FollowTeam({ api, teamId, teams, calendars }: { api: Api; teamId: string; teams: FlowSettingsProps["teams"]; calendars: ReadonlyArray<TeamCalendarView> }) {
  const known = teams.some((t) => t.id === teamId);
  const error = api.error(["availability", "teamId"]) ?? followedTeamIssue(api.raw, teams);
  return (
    <div className="fs-follow-team">
      <Field id="fs-availability-teamId" label="Team" error={error} hint="The chat is open when this team's hours say; the away message below still applies.">
        {(props) => (
          <select {...props} value={teamId} disabled={api.readOnly} onChange={(e) => api.set(["availability", "teamId"], e.currentTarget.value === "" ? undefined : e.currentTarget.value)}>
            <option value="">Choose a team</option>
            {!known && teamId !== "" ? <option value={teamId}>Unknown team ({teamId})</option> : null}
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {teamId !== "" ? (
        <p className="muted fs-follow-team__hours">
          {teamHoursLine(teamId, calendars)}
          {known ? (
            <>
              {" "}
              <a href={`/settings/teams/${encodeURIComponent(teamId)}`}>Edit the team&apos;s hours</a>
            </>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}

/** The flow's closed dates (holidays): a row per date, added one at a time or copied from the workspace's list. */
function ClosedDatesSetting({
  api,
  timezone,
  workspaceClosed,
  readCalendar,
}: {
  api: Api;
  timezone: string;
  workspaceClosed: WorkspaceClosedDates | undefined;
  readCalendar: FlowSettingsProps["readCalendar"];
}) {
  const value = api.value(["availability", "closedDates"]);
  const closed = (Array.isArray(value) ? value : []) as ReadonlyArray<ClosedDateValue>;
  const setClosed = (next: ReadonlyArray<unknown>) => api.set(["availability", "closedDates"], next);
  // The previewed dates the list still lacks (it may have changed since), as one undo step of their own.
  const addFromCalendar = (dates: ReadonlyArray<ClosedDateValue>) => {
    const fresh = dates.filter((d) => !closed.some((c) => sameClosedDay(c, d)));
    if (fresh.length > 0) api.set(["availability", "closedDates"], [...closed, ...fresh], `calendar-import:${Date.now()}`);
    return fresh.length;
  };
  const follows = api.value(["availability", "workspaceClosedDates"]) === true;
  const workspaceDates = workspaceClosed?.dates ?? [];
  const missing = follows ? [] : workspaceDates.filter((w) => !closed.some((c) => sameClosedDay(c, w)));
  return (
    <fieldset className="fs-fieldset fs-closed">
      <legend>Closed dates ({timezone})</legend>
      <p className="muted fs-hint">
        Closed all day whatever the hours above say: holidays, a team day out. Give a date its own hours to open only then that day (Christmas Eve
        09:00–13:00; 00:00 closes at midnight); leave them empty: closed all day.
      </p>
      <label className="fs-check">
        <input
          type="checkbox"
          checked={follows}
          disabled={api.readOnly}
          onChange={(e) => api.set(["availability", "workspaceClosedDates"], e.currentTarget.checked)}
        />
        Also closed on the workspace&apos;s closed dates ({workspaceDates.length} set on Reports, kept up to date)
      </label>
      {closed.length === 0 ? <p className="muted">No closed dates.</p> : null}
      <ul className="fs-closed__list">
        {closed.map((c, index) => {
          const label = `Closed date ${index + 1}`;
          return (
            <li key={index} className="fs-closed__row">
              <label>
                <span className="fe-sr">{`${label} `}</span>Date
                <input
                  type="date"
                  value={c.date ?? ""}
                  readOnly={api.readOnly}
                  aria-invalid={api.error(["availability", "closedDates", index, "date"]) ? true : undefined}
                  onChange={(e) => api.set(["availability", "closedDates", index, "date"], e.currentTarget.value)}
                />
              </label>
              <label>
                <span className="fe-sr">{`${label} `}</span>Name
                <input
                  type="text"
                  value={c.name ?? ""}
                  maxLength={100}
                  readOnly={api.readOnly}
                  placeholder="Christmas Day"
                  onChange={(e) => api.set(["availability", "closedDates", index, "name"], e.currentTarget.value === "" ? undefined : e.currentTarget.value)}
                />
              </label>
              <label className="fs-check">
                <input
                  type="checkbox"
                  checked={c.yearly === true}
                  disabled={api.readOnly}
                  onChange={(e) => api.set(["availability", "closedDates", index, "yearly"], e.currentTarget.checked)}
                />
                <span className="fe-sr">{`${label} `}</span>every year
              </label>
              <SpecialHoursFields api={api} index={index} label={label} hours={c.hours} />
              <button type="button" className="icon-button" disabled={api.readOnly} aria-label={`Remove closed date ${index + 1}`} onClick={() => setClosed(closed.filter((_, i) => i !== index))}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <div className="fs-closed__actions">
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={api.readOnly}
          onClick={() => setClosed([...closed, { date: new Date().toISOString().slice(0, 10), yearly: false }])}
        >
          Add a closed date
        </button>
        {missing.length > 0 ? (
          <button type="button" className="button button--secondary button--small" disabled={api.readOnly} onClick={() => setClosed([...closed, ...missing])}>
            Add the workspace&apos;s closed dates ({missing.length})
          </button>
        ) : null}
      </div>
      {readCalendar && !api.readOnly ? <CalendarImport closed={closed} readCalendar={readCalendar} onAdd={addFromCalendar} /> : null}
      {(missing.length > 0 || (follows && workspaceDates.length > 0)) && workspaceClosed && workspaceClosed.timezone !== timezone ? (
        <p className="muted fs-hint">The workspace reads its dates in {workspaceClosed.timezone}; for this flow they are read in {timezone}.</p>
      ) : null}
      <Problems issues={issuesUnder(api.issues, ["availability", "closedDates"])} />
    </fieldset>
  );
}

/**
 * "Open from … to …" on one closed date: its special hours (decision 051), a pair per range and
 * one blank pair when there are none. Emptying both times of a range removes it, and the last one
 * removes `hours`, so the date is closed all day again; ranges set in the JSON are kept and shown.
 */
function SpecialHoursFields({ api, index, label, hours }: { api: Api; index: number; label: string; hours: ClosedDateValue["hours"] }) {
  const ranges = Array.isArray(hours) && hours.length > 0 ? hours : [{}];
  const path = ["availability", "closedDates", index, "hours"];
  const setTime = (j: number, key: "from" | "to", time: string) => {
    // A special day cannot run past midnight, so a closing time of 00:00 can only mean midnight.
    const value = key === "to" && time === "00:00" ? "24:00" : time;
    const next = ranges.map((r, k) => (k === j ? { ...r, [key]: value } : r)).filter((r) => (r.from ?? "") !== "" || (r.to ?? "") !== "");
    api.set(path, next.length > 0 ? next : undefined);
  };
  return (
    <>
      {ranges.map((range, j) => {
        const which = ranges.length > 1 ? ` ${j + 1}` : "";
        return (
          <span key={j} className="fs-closed__hours">
            <label>
              <span className="fe-sr">{`${label} `}</span>
              {j === 0 ? "Open from" : "and from"}
              <span className="fe-sr">{which}</span>
              <input
                type="time"
                value={range.from ?? ""}
                readOnly={api.readOnly}
                aria-invalid={api.error([...path, j, "from"]) ? true : undefined}
                onChange={(e) => setTime(j, "from", e.currentTarget.value)}
              />
            </label>
            <label>
              <span className="fe-sr">{`${label} open `}</span>
              to
              <span className="fe-sr">{which}</span>
              <input
                type="time"
                value={range.to === "24:00" ? "00:00" : (range.to ?? "")}
                readOnly={api.readOnly}
                aria-invalid={api.error([...path, j, "to"]) ? true : undefined}
                onChange={(e) => setTime(j, "to", e.currentTarget.value)}
              />
            </label>
          </span>
        );
      })}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Language and session timeout

const LANGUAGES: ReadonlyArray<readonly [string, string]> = [
  ["en", "English"],
  ["de", "German"],
  ["fr", "French"],
  ["es", "Spanish"],
  ["it", "Italian"],
  ["nl", "Dutch"],
  ["pt", "Portuguese"],
  ["pt-BR", "Portuguese (Brazil)"],
  ["pl", "Polish"],
  ["sv", "Swedish"],
  ["da", "Danish"],
  ["nb", "Norwegian"],
  ["fi", "Finnish"],
  ["cs", "Czech"],
  ["tr", "Turkish"],
  ["ja", "Japanese"],
  ["zh", "Chinese"],
];

function LanguageTab({ language, onChange, readOnly }: { language: string; onChange: (language: string) => void; readOnly: boolean }) {
  const known = LANGUAGES.some(([code]) => code === language);
  const [other, setOther] = useState(known ? "" : language);
  const otherIssue = other !== "" ? languageIssue(other) : undefined;
  return (
    <Section title="Language" hint="The language the bot's texts are written in; the widget's own buttons and dates follow it.">
      <Field id="fs-language" label="Flow language" error={known ? undefined : languageIssue(language)}>
        {(props) => (
          <select {...props} value={known ? language : "other"} disabled={readOnly} onChange={(e) => e.currentTarget.value !== "other" && onChange(e.currentTarget.value)}>
            {LANGUAGES.map(([code, name]) => (
              <option key={code} value={code}>
                {name} ({code})
              </option>
            ))}
            <option value="other">Other…</option>
          </select>
        )}
      </Field>
      <Field id="fs-language-other" label="Other language tag" hint="A BCP 47 tag such as ro, sr-Latn or es-MX." error={otherIssue}>
        {(props) => (
          <input
            {...props}
            value={other}
            readOnly={readOnly}
            onChange={(e) => {
              const tag = e.currentTarget.value.trim();
              setOther(tag);
              // Only a valid tag reaches the draft: a half-typed one would fail every compile.
              if (tag !== "" && !languageIssue(tag)) onChange(tag);
            }}
          />
        )}
      </Field>
    </Section>
  );
}

function SessionTab({ api }: { api: Api }) {
  return (
    <Section title="Session timeout" hint="A bot conversation idle this long counts as abandoned and is closed.">
      <NumberSetting api={api} path={["sessionTimeoutMinutes"]} label="Minutes without a reply" hint="From 1 minute to 7 days (10,080 minutes)." min={1} max={10_080} />
    </Section>
  );
}
