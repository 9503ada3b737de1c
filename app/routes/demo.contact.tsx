import type { MetaFunction } from "@remix-run/node";

/** Opens the chat through the widget's public API, if the widget has loaded and a chatflow shows. */
const openChat = () => {
  (window as unknown as { Parley?: { open?: () => void } }).Parley?.open?.();
};

export const meta: MetaFunction = () => [{ title: "Contact — Acme Rockets (Parley demo)" }];

export default function DemoContact() {
  return (
    <>
      <h1>Contact</h1>
      <p>We are a small team near the coast. The fastest way to reach us is the chat.</p>
      <dl className="demo-contact">
        <dt>Email</dt>
        <dd>hello@acme-rockets.example</dd>
        <dt>Phone</dt>
        <dd>+49 30 1234 5678 (Mon–Fri, 9:00–17:00)</dd>
        <dt>Launch site</dt>
        <dd>Pad 3, Rocket Road 1, 12345 Seaside</dd>
      </dl>
      <button type="button" className="demo-button" onClick={openChat}>
        Start a chat
      </button>
      <aside className="demo-site__explain" aria-label="What the widget does on this page">
        <h2>What Parley shows here</h2>
        <p>
          No rule mentions this page, so the <strong>lead-qualification bot</strong> shows, as on the home page. A
          conversation started on another page continues here: the widget keeps it across the site.
        </p>
      </aside>
    </>
  );
}
