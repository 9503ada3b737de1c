/**
 * Inspector forms for the nodes that act outside the chat: Webhook, Handoff, Ticket, Meeting,
 * and End.
 */
import { getIn, setIn } from "./data-path.js";
import { CheckboxField, CheckListField, ItemList, NumberField, SelectField, TemplateField, TextField, useInspector, VariableField } from "./fields.js";

type Loose = Record<string, any>;
const rec = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => ({ value: m, label: m }));

/** Webhook: the request (method, URL, headers, body) and which response values to keep. */
export function WebhookForm() {
  const api = useInspector();
  const method = String(getIn(api.data, ["method"]) ?? "POST");
  return (
    <>
      <div className="fe-row fe-row--method">
        <SelectField path={["method"]} label="Method" options={METHODS} />
        <TemplateField path={["url"]} label="URL" placeholder="https://…" />
      </div>
      <ItemList path={["headers"]} legend="Headers" itemName="header" newItem={() => ({ name: "", value: "" })}>
        {(index) => (
          <>
            <TextField path={["headers", index, "name"]} label="Name" placeholder="Authorization" />
            <TemplateField path={["headers", index, "value"]} label="Value" />
          </>
        )}
      </ItemList>
      {method === "GET" || method === "DELETE" ? null : <TemplateField path={["body"]} label="Body" multiline optional placeholder='{"email": "{{contact.email}}"}' />}
      <NumberField path={["timeoutMs"]} label="Timeout (ms)" min={100} max={30_000} step={100} optional />
      <ItemList path={["responseMappings"]} legend="Save from the response" itemName="mapping" newItem={() => ({ path: "$.", variable: "" })}>
        {(index) => (
          <>
            <TextField path={["responseMappings", index, "path"]} label="JSON path" placeholder="$.data.id" hint="$ is the response body, e.g. $.items[0].name" />
            <VariableField path={["responseMappings", index, "variable"]} label="Into variable" />
          </>
        )}
      </ItemList>
    </>
  );
}

const TARGET_TYPES = [
  { value: "routing", label: "The inbox's routing" },
  { value: "team", label: "A team" },
  { value: "user", label: "A person" },
  { value: "contact_owner", label: "Contact's owner (else routing)" },
];

/** Handoff: who takes over, what the bot says, and what happens when nobody is available. */
export function HandoffForm() {
  const api = useInspector();
  const target = rec(getIn(api.data, ["target"]));
  return (
    <>
      <SelectField
        path={["target", "type"]}
        label="Hand the conversation to"
        options={TARGET_TYPES}
        onSelect={(type) =>
          api.replace(
            setIn(
              api.data,
              ["target"],
              type === "team"
                ? { type, teamId: api.workspace.teams[0]?.id ?? "" }
                : type === "user"
                  ? { type, userId: api.workspace.users[0]?.id ?? "" }
                  : type === "contact_owner"
                    ? { type }
                    : { type: "routing" },
            ),
          )
        }
      />
      {target.type === "team" ? <SelectField path={["target", "teamId"]} label="Team" options={api.workspace.teams.map((t) => ({ value: t.id, label: t.name }))} /> : null}
      {target.type === "user" ? <SelectField path={["target", "userId"]} label="Person" options={api.workspace.users.map((u) => ({ value: u.id, label: u.name }))} /> : null}
      {target.type === "contact_owner" ? (
        <p className="fe-field__hint">A known contact's owner gets the conversation when they are available; anyone else goes to the inbox's routing.</p>
      ) : null}
      <TemplateField path={["message"]} label="Message before handing off" multiline optional placeholder="Connecting you with our team…" />
      <CheckListField
        path={["labels"]}
        legend="Labels for the conversation"
        options={api.workspace.labels.map((l) => ({ value: l.id, label: l.name }))}
        hint={api.workspace.labels.length === 0 ? "No labels yet: an admin adds them in Settings → Labels." : "The team sees them in the inbox as the conversation arrives."}
      />
      <fieldset className="fe-group">
        <legend>When nobody is available (the away exit)</legend>
        <TemplateField path={["away", "message"]} label="Away message" multiline optional />
        <CheckboxField path={["away", "askForEmail"]} label="Ask for an email address" />
        <CheckboxField path={["away", "createTicket"]} label="Create a ticket" />
      </fieldset>
    </>
  );
}

/** Ticket: what the ticket says and how urgent it is. */
export function TicketForm() {
  return (
    <>
      <TemplateField path={["subject"]} label="Subject" />
      <TemplateField path={["description"]} label="Description" multiline />
      <SelectField
        path={["priority"]}
        label="Priority"
        options={[
          { value: "low", label: "Low" },
          { value: "normal", label: "Normal" },
          { value: "high", label: "High" },
          { value: "urgent", label: "Urgent" },
        ]}
      />
      <TemplateField path={["message"]} label="Message to the visitor" multiline optional placeholder="We've opened a ticket for you." />
    </>
  );
}

/** Meeting: whose calendar the visitor books into. */
export function MeetingForm() {
  const api = useInspector();
  return (
    <>
      <SelectField path={["userId"]} label="Book a meeting with" options={api.workspace.users.map((u) => ({ value: u.id, label: u.name }))} />
      <TemplateField path={["message"]} label="Message" multiline optional />
    </>
  );
}

/** Add to list: which contact list the conversation's contact joins. */
export function AddToListForm() {
  const api = useInspector();
  return (
    <>
      <SelectField path={["listId"]} label="Contact list" options={api.workspace.lists.map((l) => ({ value: l.id, label: l.name }))} />
      <p className="muted">
        A visitor who is not a contact yet joins the list when they become one. Lists are made on the <a href="/lists">Lists</a> page.
      </p>
    </>
  );
}

/** Email subscription: the question, the consent text stored with a yes, the replies and an optional list. */
export function SubscribeForm() {
  const api = useInspector();
  return (
    <>
      <TemplateField path={["question"]} label="Question" multiline placeholder="Would you like our newsletter?" />
      <TemplateField path={["consentText"]} label="Consent text" multiline placeholder="Yes, send me the monthly newsletter by email. I can unsubscribe at any time." />
      <TextField path={["yesLabel"]} label="Yes button" />
      <TextField path={["noLabel"]} label="No button" />
      <TemplateField path={["emailPrompt"]} label="Asks for the email first, when unknown" multiline />
      <SelectField
        path={["listId"]}
        label="Also add to list"
        options={[{ value: "", label: "No list" }, ...api.workspace.lists.map((l) => ({ value: l.id, label: l.name }))]}
      />
    </>
  );
}

/** End: the last words, and whether the conversation closes. */
export function EndForm() {
  return (
    <>
      <TemplateField path={["message"]} label="Closing message" multiline optional />
      <CheckboxField path={["closeConversation"]} label="Close the conversation" />
    </>
  );
}
