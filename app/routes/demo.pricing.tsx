import type { MetaFunction } from "@remix-run/node";

export const meta: MetaFunction = () => [{ title: "Pricing — Acme Rockets (Parley demo)" }];

const plans = [
  { name: "Hobby", price: "€49", per: "per launch", points: ["One pad", "Community support"] },
  { name: "Team", price: "€399", per: "per month", points: ["Ten launches", "Two pads", "Chat support"] },
  { name: "Fleet", price: "Let’s talk", per: "", points: ["Unlimited launches", "Your own pad crew", "A named engineer"] },
];

export default function DemoPricing() {
  return (
    <>
      <h1>Pricing</h1>
      <p>Simple plans. No hidden fuel charges.</p>
      <div className="demo-plans">
        {plans.map((plan) => (
          <section key={plan.name} className="demo-plan" aria-labelledby={`plan-${plan.name}`}>
            <h2 id={`plan-${plan.name}`}>{plan.name}</h2>
            <p className="demo-plan__price">
              {plan.price} <span>{plan.per}</span>
            </p>
            <ul>
              {plan.points.map((point) => (
                <li key={point}>{point}</li>
              ))}
            </ul>
          </section>
        ))}
      </div>
      <aside className="demo-site__explain" aria-label="What the widget does on this page">
        <h2>What Parley shows here</h2>
        <p>
          The lead-qualification bot has a <strong>hide rule</strong> for URLs containing <code>/pricing</code>, so it
          does not show here. The live chat (the lowest priority, on every page) takes over: in business hours it connects
          to the team; outside them it offers to take an email.
        </p>
      </aside>
    </>
  );
}
