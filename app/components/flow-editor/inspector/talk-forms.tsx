/**
 * Inspector forms for the nodes that talk with the visitor: Message, Question and Knowledge base.
 */
import { getIn, freshItemId, setIn } from "./data-path.js";
import {
  CheckboxField,
  ContactPropertyField,
  ItemList,
  NumberField,
  SelectField,
  TemplateField,
  TextField,
  useInspector,
  VariableField,
} from "./fields.js";

const BUBBLE_TYPES = [
  { value: "text", label: "Text" },
  { value: "image", label: "Image" },
  { value: "link", label: "Link" },
];

type Loose = Record<string, any>;
const rec = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});

function BubbleFields({ index }: { index: number }) {
  const api = useInspector();
  const path = ["bubbles", index] as const;
  const bubble = rec(getIn(api.data, path));
  const reshape = (type: string) => {
    const text = String(bubble.text ?? bubble.label ?? "");
    const url = String(bubble.url ?? "");
    const next = type === "image" ? { type, url } : type === "link" ? { type, url, label: text } : { type: "text", text };
    api.replace(setIn(api.data, path, next));
  };
  return (
    <>
      <SelectField path={[...path, "type"]} label="Kind" options={BUBBLE_TYPES} onSelect={reshape} />
      {bubble.type === "image" ? (
        <>
          <TemplateField path={[...path, "url"]} label="Image address" placeholder="https://…" />
          <TextField path={[...path, "alt"]} label="Description for screen readers" optional />
        </>
      ) : bubble.type === "link" ? (
        <>
          <TemplateField path={[...path, "url"]} label="Link address" placeholder="https://…" />
          <TemplateField path={[...path, "label"]} label="Link text" />
        </>
      ) : (
        <TemplateField path={[...path, "text"]} label="Text" multiline placeholder="What the bot says…" />
      )}
    </>
  );
}

/** Message: one or more bubbles (text, image, link) and a typing delay. */
export function MessageForm() {
  return (
    <>
      <ItemList path={["bubbles"]} legend="Bubbles" itemName="bubble" minItems={1} newItem={() => ({ type: "text", text: "" })}>
        {(index) => <BubbleFields index={index} />}
      </ItemList>
      <NumberField path={["typingDelayMs"]} label="Typing delay (ms)" min={0} max={10_000} step={100} optional />
    </>
  );
}

const ANSWER_TYPES = [
  { value: "text", label: "Free text" },
  { value: "email", label: "Email address" },
  { value: "phone", label: "Phone number" },
  { value: "number", label: "Number" },
  { value: "date", label: "Date" },
  { value: "choice", label: "Choice (quick replies)" },
  { value: "yes_no", label: "Yes or no" },
  { value: "rating", label: "Rating" },
  { value: "url", label: "Web address" },
];

/** A fresh answer of `type`, keeping the choices when switching between choice-like types. */
const answerOf = (type: string, previous: Loose): Loose => {
  switch (type) {
    case "number":
      return { type, integer: false };
    case "choice":
      return {
        type,
        choices: Array.isArray(previous.choices) && previous.choices.length > 0 ? previous.choices : [{ id: "choice_1", label: "Option 1" }],
        multiple: false,
        portPerChoice: false,
      };
    case "yes_no":
      return { type, yesLabel: "Yes", noLabel: "No" };
    case "rating":
      return { type, min: 1, max: 5 };
    default:
      return { type };
  }
};

function AnswerFields() {
  const api = useInspector();
  const answer = rec(getIn(api.data, ["answer"]));
  switch (answer.type) {
    case "text":
      return (
        <div className="fe-row">
          <NumberField path={["answer", "minLength"]} label="Shortest answer" min={0} step={1} optional />
          <NumberField path={["answer", "maxLength"]} label="Longest answer" min={1} step={1} optional />
        </div>
      );
    case "phone":
      return <TextField path={["answer", "defaultCountry"]} label="Default country" hint="Two letters (e.g. DE) for numbers typed without +" optional />;
    case "number":
      return (
        <>
          <div className="fe-row">
            <NumberField path={["answer", "min"]} label="Minimum" optional />
            <NumberField path={["answer", "max"]} label="Maximum" optional />
          </div>
          <CheckboxField path={["answer", "integer"]} label="Whole numbers only" />
        </>
      );
    case "date":
      return (
        <div className="fe-row">
          <TextField path={["answer", "min"]} label="Earliest date" placeholder="YYYY-MM-DD" optional />
          <TextField path={["answer", "max"]} label="Latest date" placeholder="YYYY-MM-DD" optional />
        </div>
      );
    case "choice":
      return (
        <>
          <ItemList
            path={["answer", "choices"]}
            legend="Choices"
            itemName="choice"
            minItems={1}
            newItem={(items) => ({ id: freshItemId(items, "choice"), label: `Option ${items.length + 1}` })}
          >
            {(index) => (
              <>
                <TextField path={["answer", "choices", index, "label"]} label="Label" />
                <TextField path={["answer", "choices", index, "value"]} label="Saved value" hint="Saved instead of the label when set" optional />
              </>
            )}
          </ItemList>
          <CheckboxField path={["answer", "multiple"]} label="Several choices allowed" />
          <CheckboxField path={["answer", "portPerChoice"]} label="A separate exit for each choice" />
        </>
      );
    case "yes_no":
      return (
        <div className="fe-row">
          <TextField path={["answer", "yesLabel"]} label="Yes label" />
          <TextField path={["answer", "noLabel"]} label="No label" />
        </div>
      );
    case "rating":
      return (
        <div className="fe-row">
          <NumberField path={["answer", "min"]} label="Lowest rating" step={1} />
          <NumberField path={["answer", "max"]} label="Highest rating" step={1} />
        </div>
      );
    default:
      return null;
  }
}

/** Question: the prompt, the expected answer and its checks, where the answer is saved, retries. */
export function QuestionForm() {
  const api = useInspector();
  const answer = rec(getIn(api.data, ["answer"]));
  return (
    <>
      <TemplateField path={["prompt"]} label="Question" multiline placeholder="What should the bot ask?" />
      <SelectField
        path={["answer", "type"]}
        label="Answer type"
        options={ANSWER_TYPES}
        onSelect={(type) => api.replace(setIn(api.data, ["answer"], answerOf(type, answer)))}
      />
      <AnswerFields />
      <fieldset className="fe-group">
        <legend>Save the answer</legend>
        <VariableField path={["save", "variable"]} label="To variable" optional />
        <ContactPropertyField path={["save", "contactProperty"]} label="To contact property" optional />
        <CheckboxField path={["skipIfKnown"]} label="Skip when the contact property is already known" />
      </fieldset>
      <TemplateField path={["retryMessage"]} label="Retry message" multiline optional hint="Sent when the answer does not fit; the question is asked again." />
      <div className="fe-row">
        <NumberField path={["maxRetries"]} label="Retries" min={0} max={10} step={1} optional />
        <NumberField path={["typingDelayMs"]} label="Typing delay (ms)" min={0} max={10_000} step={100} optional />
      </div>
    </>
  );
}

/** Knowledge base: what to search for, how many articles to offer, and what the bot says. */
export function KnowledgeForm() {
  return (
    <>
      <TemplateField
        path={["query"]}
        label="Search for"
        optional
        placeholder="The visitor's last answer"
        hint="Leave empty to search what the visitor last answered, or use tokens, e.g. {{question}}."
      />
      <NumberField path={["limit"]} label="Articles to offer (1–5)" min={1} max={5} step={1} />
      <TemplateField path={["message"]} label="Message before the links" multiline placeholder="These articles may help:" />
      <TemplateField
        path={["notFoundMessage"]}
        label="Message when nothing matches"
        multiline
        optional
        hint="Said before the flow takes the not found exit."
      />
      <VariableField path={["saveTitleTo"]} label="Save the best article's title to" optional />
    </>
  );
}
