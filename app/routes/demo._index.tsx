/** Opens the chat through the widget's public API, if the widget has loaded and a chatflow shows. */
const openChat = () => {
  (window as unknown as { Parley?: { open?: () => void } }).Parley?.open?.();
};

export default function DemoHome() {
  return (
    <>
      <section className="demo-hero">
        <h1>Reusable rockets for small teams</h1>
        <p>Launch weekly, land gently. Acme builds rockets a team of five can fly, refuel and fly again by Friday.</p>
        <button type="button" className="demo-button" onClick={openChat}>
          Talk to sales
        </button>
      </section>
      <section className="demo-features" aria-label="Why Acme">
        <article>
          <h2>Lands itself</h2>
          <p>Every booster returns to its pad. Most of them on the first try.</p>
        </article>
        <article>
          <h2>Fuel for a week</h2>
          <p>One tank lasts seven launches, or one very long weekend.</p>
        </article>
        <article>
          <h2>People who answer</h2>
          <p>Our team reads every chat. The bot asks the first questions so they can help faster.</p>
        </article>
      </section>
      <aside className="demo-site__explain" aria-label="What the widget does on this page">
        <h2>What Parley shows here</h2>
        <p>
          With the demo’s chatflows, the <strong>lead-qualification bot</strong> greets visitors on every page except
          pricing, and pops open after 15 seconds. “Talk to sales” opens it with <code>Parley.open()</code>.
        </p>
      </aside>
    </>
  );
}
