import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { Channels, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Channels · Settings · Parley" }];

const kindLabels = { chat: "Chat (website widget)", form: "Form", email: "Email", messenger: "Messenger" } as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const channels = await run(context, Effect.flatMap(Channels, (c) => c.list()));
  return { channels: channels.map(({ id, name, kind, inboxName }) => ({ id, name, kind, inboxName })) };
}

export default function ChannelsSettings() {
  const { channels } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <h1>Channels</h1>
        <p className="lead">
          The paths by which visitors reach the team. Each channel delivers into one inbox. A chat channel is the website
          widget: choose the sites that may embed it, its branding and identity secret, and copy the snippet to install it.
        </p>
      </header>
      <section className="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Connected channels ({channels.length})</h2>
        {channels.length === 0 ? (
          <p className="muted">No channels yet. A first start creates a chat channel for the website widget.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Inbox</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((channel) => (
                <tr key={channel.id}>
                  <td>
                    {channel.kind === "chat" ? (
                      <Link to={`/settings/channels/${encodeURIComponent(channel.id)}`}>{channel.name}</Link>
                    ) : (
                      channel.name
                    )}
                  </td>
                  <td>
                    <span className="badge">{kindLabels[channel.kind]}</span>
                  </td>
                  <td>{channel.inboxName}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
