/**
 * A handoff to a team its hours have closed (decision 048), end to end: an admin makes this run's
 * own team (open one minute a week, three days from now), inbox (Alex Agent its member) and chat
 * channel, and imports and publishes a bot whose handoff names the team. Alex already has the
 * inbox open when a visitor, through the public API, answers the bot and is handed off: the row
 * comes in live saying it is queued for the closed team (the opening as its title), and the
 * thread's handoff marker and queue line say when the team opens. When the admin then takes the
 * team's hours away (nobody is on it, so the conversation still waits), the open page hears it:
 * the tag and the queue line stop saying closed, the marker keeps it. Every name carries a per-run
 * stamp, every look is narrowed to this run's inbox and visitor, no workspace-wide setting is
 * changed, and the flow is switched off at the end.
 */
import { expect, test, type APIRequestContext, type BrowserContext } from "@playwright/test";
import { formatOpening } from "../../flows/availability.js";
import { addChannel, adminEmail, createInboxWithMembers, createTeam, demoUsers, inboxLive, parleyUrl, signedInPage, switchFlow } from "./helpers.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
// A zone the settings list (Intl's) offers that keeps UTC's clock all year: the opening is plain to compute.
const ZONE = "Atlantic/Reykjavik";

const contexts: BrowserContext[] = [];
let request: APIRequestContext | undefined;

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  await request?.dispose();
});

test("a bot hands a visitor to a closed team: the open list shows the row queued for the closed team live, the thread says when it opens", async ({ browser, playwright }, testInfo) => {
  // Two browsers, a published flow, a visitor through the API and an hours change: more than the default 30 s on a loaded machine.
  test.setTimeout(90_000);
  const stamp = `${Date.now().toString(36)}-${testInfo.retry}`;
  const teamName = `Closed desk ${stamp}`;
  const inboxName = `Closed desk inbox ${stamp}`;
  const channelName = `Closed desk chat ${stamp}`;
  const flowName = `Hands to the closed desk ${stamp}`;
  const question = `Can someone call me back ${stamp}?`;
  // Open 00:00–00:01 on the weekday three days on: closed now, whenever this runs, and until then.
  const opensAt = Math.floor(Date.now() / DAY) * DAY + 3 * DAY;
  const opening = formatOpening(ZONE, opensAt);

  const admin = await signedInPage(browser, adminEmail(), contexts);
  await createTeam(admin, teamName);
  const teamId = decodeURIComponent(new URL(admin.url()).pathname.split("/").pop()!);
  const hours = admin.getByRole("region", { name: "Hours" });
  /** The team's own hours: open one minute a week, the one starting at `at`, on the team's page (closed now, and until then). */
  const openOneMinuteAt = async (at: number) => {
    const clock = (t: number) => new Date(t).toISOString().slice(11, 16);
    const openDay = WEEK[new Date(at).getUTCDay()];
    await hours.getByRole("radio", { name: /^Own hours/ }).check();
    await hours.getByRole("combobox", { name: "Time zone" }).selectOption(ZONE);
    for (const day of WEEK) {
      await hours.getByLabel(`${day} opens`, { exact: true }).fill(day === openDay ? clock(at) : "");
      await hours.getByLabel(`${day} closes`, { exact: true }).fill(day === openDay ? clock(at + MINUTE) : "");
    }
    await hours.getByRole("button", { name: "Save hours" }).click();
    await expect(hours.getByRole("status")).toHaveText(/^Hours saved: Closed · opens /);
  };
  await openOneMinuteAt(opensAt);

  const inboxId = await createInboxWithMembers(admin, inboxName, [/Alex Agent/]);
  const channelId = await addChannel(admin, { kind: /^Chat/, name: channelName, inbox: inboxName });

  // The bot: one question, then the handoff to the team — no away port, so it hands off anyway, with away words.
  const document = {
    id: `closed_desk_${stamp.replace(/\W/g, "_")}`,
    name: flowName,
    kind: "bot",
    language: "en",
    startNodeId: "ask",
    nodes: [
      {
        id: "ask",
        kind: "question",
        label: "What do you need?",
        position: { x: 0, y: 0 },
        data: { prompt: "What do you need?", answer: { type: "text" }, retryMessage: "Say a little more?", maxRetries: 1 },
      },
      {
        id: "to_desk",
        kind: "handoff",
        label: "Hand off to the desk",
        position: { x: 0, y: 280 },
        data: { target: { type: "team", teamId }, message: "Connecting you.", away: { message: `The desk is closed ${stamp}.`, askForEmail: false, createTicket: false } },
      },
    ],
    edges: [{ id: "ask:answered->to_desk", source: "ask", sourcePort: "answered", target: "to_desk" }],
    variables: [],
  };
  await admin.goto("/flows");
  const importing = admin.getByRole("region", { name: "Import a flow" });
  await importing.getByLabel("Flow file (.json)").setInputFiles({ name: "closed-desk.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(document)) });
  await expect(importing.getByText("The file is a valid flow.")).toBeVisible();
  await importing.getByLabel("Channel").selectOption({ label: channelName });
  await importing.getByRole("button", { name: "Import flow" }).click();
  await expect(admin).toHaveURL(/\/flows\/flow_[\w-]+$/);
  const flowId = new URL(admin.url()).pathname.split("/").pop()!;
  await admin.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(admin.getByText(/^Published v1\./)).toBeVisible();
  await switchFlow(admin, flowName, true);

  try {
    // Alex has the inbox's unassigned conversations open before the visitor comes.
    const agent = await signedInPage(browser, demoUsers.agent, contexts);
    await agent.goto(`/inbox?view=unassigned&inboxId=${encodeURIComponent(inboxId)}`);
    await inboxLive(agent);

    request = await playwright.request.newContext({ baseURL: parleyUrl() });
    const made = await request.post("/api/visitors", { data: { channel: channelId } });
    expect(made.status(), await made.text()).toBe(201);
    const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
    const started = await request.post("/api/conversations", { headers, data: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/contact" } });
    expect(started.status(), await started.text()).toBe(201);
    const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
    const sent = await request.post(`/api/conversations/${conversationId}/messages`, { headers, data: { clientMessageId: `m-${stamp}`, text: question } });
    expect(sent.status(), await sent.text()).toBe(200);
    const answer = (await sent.json()) as { status: string; messages: Array<{ text?: string }> };
    expect(answer.status).toBe("open");
    expect(answer.messages.map((m) => m.text)).toContain(`The desk is closed ${stamp}.`);

    // Live: no reload. The row (its preview the bot's last words) says whose queue and that the team is closed; its title, until when.
    const row = agent.getByRole("list", { name: "Unassigned conversations" }).getByRole("listitem").filter({ hasText: `The desk is closed ${stamp}.` });
    const tag = row.getByText(`queued · ${teamName} closed`, { exact: true });
    await expect(tag).toBeVisible();
    await expect(tag).toHaveAttribute("title", `${teamName} is closed until ${opening} (${ZONE})`);

    await row.getByRole("link").click();
    await expect(agent).toHaveURL(new RegExp(`/inbox/${conversationId}`));
    const marker = agent.getByRole("listitem", { name: "Handoff from the bot" });
    await expect(marker).toContainText(`Handed off while ${teamName} was closed (opens ${opening}, ${ZONE})`);
    await expect(agent.getByText(`${inboxName} · ${channelName} · waiting in the queue: ${teamName} is closed until ${opening} (${ZONE})`, { exact: true })).toBeVisible();

    // The admin takes the team's hours away: never closed now, but nobody is on it, so the
    // conversation still waits. Alex's open page hears it without a reload: the tag and the line
    // no longer say closed; the marker keeps what was true at the handoff.
    await admin.goto(`/settings/teams/${encodeURIComponent(teamId)}`);
    await hours.getByRole("radio", { name: /^No hours/ }).check();
    await hours.getByRole("button", { name: "Save hours" }).click();
    await expect(hours.getByRole("status")).toHaveText(/^Hours saved/);
    await expect(agent.getByText(`${inboxName} · ${channelName} · waiting in the queue for an available agent`, { exact: true })).toBeVisible();
    await expect(row.getByText("queued", { exact: true })).toBeVisible();
    await expect(row.getByText(`queued · ${teamName} closed`)).toHaveCount(0);
    await expect(marker).toContainText(`Handed off while ${teamName} was closed (opens ${opening}, ${ZONE})`);
    // The page also re-reads by itself at the next opening or closing with nobody acting: the
    // instant (queueChangesAt) and the re-read are unit-tested (live-logic, queueTeamsAt), not waited
    // for here — the suite runs on one worker, and a real minute of waiting is a minute of CI.
  } finally {
    // Off again: nothing of this run is left live.
    await switchFlow(admin, flowName, false);
  }
});
