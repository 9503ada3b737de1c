/**
 * Inspector forms for the nodes that decide and remember: Branch, Set data and A/B split.
 */
import { freshItemId, getIn, setIn, type DataPath } from "./data-path.js";
import {
  ContactPropertyField,
  ItemList,
  NameListField,
  NumberField,
  SelectField,
  TemplateField,
  TextField,
  useInspector,
  VariableField,
  type Option,
} from "./fields.js";

type Loose = Record<string, any>;
const rec = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});

const SUBJECTS: ReadonlyArray<Option> = [
  { value: "last_answer", label: "The last answer" },
  { value: "variable", label: "A variable" },
  { value: "contact", label: "A contact property" },
  { value: "visitor", label: "The visitor" },
  { value: "team_available", label: "Whether a team is available" },
  { value: "user_available", label: "Whether a person is available" },
];

const OPERATORS: ReadonlyArray<Option> = [
  { value: "equals", label: "equals" },
  { value: "not_equals", label: "does not equal" },
  { value: "contains", label: "contains" },
  { value: "begins_with", label: "begins with" },
  { value: "ends_with", label: "ends with" },
  { value: "matches_regex", label: "matches the pattern" },
  { value: "greater_than", label: "is greater than" },
  { value: "less_than", label: "is less than" },
  { value: "is_set", label: "is set" },
  { value: "is_not_set", label: "is not set" },
  { value: "is_one_of", label: "is one of" },
];

const VISITOR_FIELDS: ReadonlyArray<Option> = [
  { value: "page_url", label: "Page URL" },
  { value: "device", label: "Device" },
  { value: "language", label: "Language" },
  { value: "known_contact", label: "Is a known contact" },
];

function ValueField({ path, operator }: { path: DataPath; operator: string }) {
  if (operator === "is_set" || operator === "is_not_set") return null;
  if (operator === "greater_than" || operator === "less_than") return <NumberField path={path} label="Value" />;
  if (operator === "is_one_of") return <NameListField path={path} label="Values (comma-separated)" />;
  return <TextField path={path} label="Value" />;
}

const subjectOf = (type: string, workspace: { teams: ReadonlyArray<{ id: string }>; users: ReadonlyArray<{ id: string }> }): Loose => {
  switch (type) {
    case "variable":
      return { type, name: "" };
    case "contact":
      return { type, property: "email" };
    case "visitor":
      return { type, field: "page_url" };
    case "team_available":
      return { type, teamId: workspace.teams[0]?.id ?? "" };
    case "user_available":
      return { type, userId: workspace.users[0]?.id ?? "" };
    default:
      return { type: "last_answer" };
  }
};

function ConditionFields({ path }: { path: DataPath }) {
  const api = useInspector();
  const condition = rec(getIn(api.data, path));
  const subject = rec(condition.subject);
  const availability = subject.type === "team_available" || subject.type === "user_available";
  return (
    <>
      <SelectField
        path={[...path, "subject", "type"]}
        label="Check"
        options={SUBJECTS}
        onSelect={(type) => {
          const next = { ...condition, subject: subjectOf(type, api.workspace) } as Loose;
          if (type === "team_available" || type === "user_available") {
            next.operator = "equals";
            next.value = true;
          }
          api.replace(setIn(api.data, path, next));
        }}
      />
      {subject.type === "variable" ? <VariableField path={[...path, "subject", "name"]} label="Variable" /> : null}
      {subject.type === "contact" ? <ContactPropertyField path={[...path, "subject", "property"]} label="Contact property" /> : null}
      {subject.type === "visitor" ? <SelectField path={[...path, "subject", "field"]} label="Visitor detail" options={VISITOR_FIELDS} /> : null}
      {subject.type === "team_available" ? (
        <SelectField path={[...path, "subject", "teamId"]} label="Team" options={api.workspace.teams.map((t) => ({ value: t.id, label: t.name }))} />
      ) : null}
      {subject.type === "user_available" ? (
        <SelectField path={[...path, "subject", "userId"]} label="Person" options={api.workspace.users.map((u) => ({ value: u.id, label: u.name }))} />
      ) : null}
      {availability ? (
        <SelectField
          path={[...path, "value"]}
          label="Matches when"
          options={[
            { value: "true", label: "available" },
            { value: "false", label: "not available" },
          ]}
          onSelect={(v) => api.replace(setIn(api.data, path, { ...condition, operator: "equals", value: v === "true" }))}
        />
      ) : (
        <>
          <SelectField path={[...path, "operator"]} label="Operator" options={OPERATORS} />
          <ValueField path={[...path, "value"]} operator={String(condition.operator ?? "")} />
        </>
      )}
    </>
  );
}

/** Branch: rules tried in order, each a set of conditions; the first that matches picks the exit. */
export function BranchForm() {
  return (
    <ItemList
      path={["rules"]}
      legend="Rules (the first that matches wins; else the else exit)"
      itemName="rule"
      newItem={(items) => ({
        id: freshItemId(items, "rule"),
        label: `Rule ${items.length + 1}`,
        match: "all",
        conditions: [{ subject: { type: "last_answer" }, operator: "equals", value: "" }],
      })}
    >
      {(index) => (
        <>
          <TextField path={["rules", index, "label"]} label="Name (shown on the exit)" optional />
          <SelectField
            path={["rules", index, "match"]}
            label="Matches when"
            options={[
              { value: "all", label: "all conditions hold" },
              { value: "any", label: "any condition holds" },
            ]}
          />
          <ItemList
            path={["rules", index, "conditions"]}
            legend="Conditions"
            itemName="condition"
            minItems={1}
            newItem={() => ({ subject: { type: "last_answer" }, operator: "equals", value: "" })}
          >
            {(c) => <ConditionFields path={["rules", index, "conditions", c]} />}
          </ItemList>
        </>
      )}
    </ItemList>
  );
}

function AssignmentFields({ index }: { index: number }) {
  const api = useInspector();
  const path = ["assignments", index] as const;
  const target = rec(getIn(api.data, [...path, "target"]));
  return (
    <>
      <SelectField
        path={[...path, "target", "type"]}
        label="Set a"
        options={[
          { value: "variable", label: "Variable" },
          { value: "contact", label: "Contact property" },
        ]}
        onSelect={(type) =>
          api.replace(setIn(api.data, [...path, "target"], type === "contact" ? { type, property: "" } : { type: "variable", name: "" }))
        }
      />
      {target.type === "contact" ? (
        <ContactPropertyField path={[...path, "target", "property"]} label="Contact property" />
      ) : (
        <VariableField path={[...path, "target", "name"]} label="Variable" />
      )}
      <TemplateField path={[...path, "value"]} label="Value" />
    </>
  );
}

/** Set data: assigns values (templates) to variables or contact properties. */
export function SetForm() {
  return (
    <ItemList path={["assignments"]} legend="Values to set" itemName="assignment" minItems={1} newItem={() => ({ target: { type: "variable", name: "" }, value: "" })}>
      {(index) => <AssignmentFields index={index} />}
    </ItemList>
  );
}

/** A/B split: arms with the share of visitors each gets. */
export function SplitForm() {
  const api = useInspector();
  const arms = getIn(api.data, ["arms"]);
  const total = Array.isArray(arms) ? arms.reduce((sum: number, a) => sum + (Number(rec(a).percent) || 0), 0) : 0;
  return (
    <>
      <ItemList
        path={["arms"]}
        legend="Arms"
        itemName="arm"
        minItems={1}
        newItem={(items) => ({ id: freshItemId(items, "arm"), label: String.fromCharCode(65 + (items.length % 26)), percent: 0 })}
      >
        {(index) => (
          <div className="fe-row">
            <TextField path={["arms", index, "label"]} label="Name" />
            <NumberField path={["arms", index, "percent"]} label="Share (%)" min={0} max={100} step={1} />
          </div>
        )}
      </ItemList>
      <p className={total === 100 ? "fe-note" : "fe-note fe-note--warning"} role="status">
        Shares add up to {total}%{total === 100 ? "." : " — they must add up to 100%."}
      </p>
    </>
  );
}
