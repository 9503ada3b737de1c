import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Effect, Either } from "effect";
import { ChannelDirectory, FormChannel, run, type FormField } from "../runtime.server.js";

/** Opens the chat through the widget's public API, if the widget has loaded and a chatflow shows. */
const openChat = () => {
  (window as unknown as { Parley?: { open?: () => void } }).Parley?.open?.();
};

export const meta: MetaFunction = () => [{ title: "Contact — Acme Rockets (Parley demo)" }];

/**
 * The first form channel's public definition, so the page can embed it as a customer would paste
 * the HTML snippet (a plain form posting to Parley); null without one.
 */
export async function loader({ context, request }: LoaderFunctionArgs) {
  const channels = await run(context, Effect.flatMap(ChannelDirectory, (directory) => directory.list()));
  const formChannel = channels.find((channel) => channel.kind === "form");
  const definition = formChannel
    ? await run(context, Effect.either(Effect.flatMap(FormChannel, (forms) => forms.definition(formChannel.id))))
    : null;
  return {
    form: definition && Either.isRight(definition) ? definition.right.form : null,
    sent: new URL(request.url).searchParams.get("sent") === "1",
  };
}

function FieldInput({ field }: { field: FormField }) {
  const id = `demo-form-${field.key}`;
  const common = { id, name: field.key, required: field.required };
  const input = (() => {
    switch (field.type) {
      case "textarea":
        return <textarea {...common} rows={5} maxLength={10_000} />;
      case "select":
        return (
          <select {...common} defaultValue="">
            <option value="">Choose…</option>
            {field.options.map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
        );
      case "email":
        return <input {...common} type="email" autoComplete="email" maxLength={254} />;
      case "phone":
        return <input {...common} type="tel" autoComplete="tel" placeholder="+1 555 123 4567" />;
      case "text":
        return <input {...common} type="text" maxLength={1000} />;
    }
  })();
  return (
    <div className="demo-form__field">
      <label htmlFor={id}>{field.label}</label>
      {input}
    </div>
  );
}

export default function DemoContact() {
  const { form, sent } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Contact</h1>
      <p>We are a small team near the coast. Write to us below, or start a chat.</p>
      <dl className="demo-contact">
        <dt>Phone</dt>
        <dd>+49 30 1234 5678 (Mon–Fri, 9:00–17:00)</dd>
        <dt>Launch site</dt>
        <dd>Pad 3, Rocket Road 1, 12345 Seaside</dd>
      </dl>
      {sent ? (
        <p className="demo-form__sent" role="status">
          Thanks! We got your message and will reply by email.
        </p>
      ) : null}
      {form ? (
        // A plain HTML post, as the channel's HTML snippet does: it works without JavaScript.
        <form className="demo-form" method="post" action={`/api/forms/${encodeURIComponent(form.id)}/submissions`} aria-label="Write to us">
          {form.fields.map((field) => (
            <FieldInput key={field.key} field={field} />
          ))}
          {/* The honeypot: off-screen, not display:none, since some bots skip plainly hidden fields. */}
          <div className="demo-form__trap" aria-hidden="true">
            <label>
              Leave this empty <input type="text" name="_hp" tabIndex={-1} autoComplete="off" />
            </label>
          </div>
          <button type="submit" className="demo-button">
            Send message
          </button>
        </form>
      ) : null}
      <p>
        <button type="button" className="demo-button demo-button--quiet" onClick={openChat}>
          Start a chat
        </button>
      </p>
      <aside className="demo-site__explain" aria-label="What Parley does on this page">
        <h2>What Parley shows here</h2>
        <p>
          The form is a Parley <strong>form channel</strong> (Settings → Channels → Contact form): each message opens a
          conversation and a ticket in the Support inbox, and the team answers by email. No chat rule mentions this page,
          so the <strong>lead-qualification bot</strong> shows, as on the home page.
        </p>
      </aside>
    </>
  );
}
