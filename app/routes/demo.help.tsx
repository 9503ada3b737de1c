import type { MetaFunction } from "@remix-run/node";

export const meta: MetaFunction = () => [{ title: "Help — Acme Rockets (Parley demo)" }];

export default function DemoHelp() {
  return (
    <>
      <h1>Help centre</h1>
      <section aria-labelledby="faq-title">
        <h2 id="faq-title">Common questions</h2>
        <details>
          <summary>My booster landed next to the pad. Is that normal?</summary>
          <p>Within 50 metres, yes. Further away, write to us.</p>
        </details>
        <details>
          <summary>Can I change my launch date?</summary>
          <p>Up to 48 hours before the countdown starts, free of charge.</p>
        </details>
        <details>
          <summary>How do I get an invoice?</summary>
          <p>Every launch report carries its invoice as a PDF.</p>
        </details>
      </section>
      <aside className="demo-site__explain" aria-label="What the widget does on this page">
        <h2>What Parley shows here</h2>
        <p>
          The <strong>support-triage bot</strong> targets URLs containing <code>/help</code>. It has a higher priority
          (5) than the lead bot (10), so here it wins.
        </p>
      </aside>
    </>
  );
}
