import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CalendarPreview, type PreviewSkip } from "./calendar-preview.js";

const classes = { section: "s", table: "table t", skippedHeading: "sh", skippedList: "sl" };
const render = (props: Partial<Parameters<typeof CalendarPreview>[0]>) =>
  renderToStaticMarkup(<CalendarPreview id="p" source="holidays.ics" dates={[]} skipped={[]} pastEvents={0} level={4} classes={classes} {...props} />);

describe("a calendar's preview", () => {
  it("is a region named by its source, with the dates to add as a captioned table with column headers", () => {
    const html = render({
      dates: [
        { date: "2150-01-02", name: "Offsite", yearly: false },
        { date: "2150-12-24", yearly: true, hours: [{ from: "09:00", to: "13:00" }] },
      ],
      children: <button type="button">Add 2 dates</button>,
    });
    expect(html).toMatch(/^<section class="s" aria-labelledby="p"><h4 id="p">From holidays.ics<\/h4><table class="table t"><caption>2 dates to add<\/caption>/);
    expect(html).toContain('<th scope="col">Date</th><th scope="col">Name</th>');
    expect(html).toContain("<td>Fri 2 January 2150</td><td>Offsite</td>");
    expect(html).toContain('<td>24 December, every year<span class="muted"> · open 09:00–13:00</span></td><td></td>');
    expect(html).toMatch(/<\/table><button type="button">Add 2 dates<\/button><\/section>$/);
    expect(html).not.toContain("Left out");
  });

  it("lists the first 30 left out with their reasons, counts the rest, and counts past events", () => {
    const skipped: PreviewSkip[] = Array.from({ length: 31 }, (_, i) => ({ summary: `Meeting ${i}`, reason: "a timed event" }));
    skipped[0] = { summary: "Bridge", date: "2150-01-03", reason: "already closed" };
    skipped[1] = { date: "2150-01-04", reason: "named twice" };
    const html = render({ skipped, pastEvents: 1, level: 5 });
    expect(html).toContain("<h5 id=\"p\">From holidays.ics</h5><p>Nothing to add: see below.</p>");
    expect(html).toContain('<h6 class="sh">Left out</h6><ul class="sl"><li>Bridge, Sat 3 January 2150: already closed</li><li>Sun 4 January 2150: named twice</li>');
    expect(html).toContain("<li>Meeting 29: a timed event</li><li>and 1 more</li></ul>");
    expect(html).not.toContain("Meeting 30");
    expect(html.match(/<li>/g)).toHaveLength(31);
    expect(html).toContain('<p class="muted">1 event in the past left out.</p>');
  });

  it("says when a calendar has nothing ahead at all", () => {
    expect(render({})).toContain("<p>Nothing to add: the calendar has no whole-day events ahead.</p>");
    expect(render({ pastEvents: 2 })).toContain("<p>Nothing to add: see below.</p>");
  });
});
