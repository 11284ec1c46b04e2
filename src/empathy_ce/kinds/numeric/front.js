// Numeric: full credit within the tolerance of the key, otherwise 0. Mirrors kinds/numeric/__init__.py.

export function check(spec, value) {
  if (typeof value !== "number") throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number`);
  return value;
}

export function fraction(spec, value, key) {
  return Math.abs(value - key) <= (spec.tolerance || 0) + 1e-12 ? 1 : 0;
}

/** What the learner typed as a number ("0,25", "25%", " 1e-3 "), or null. */
export function parseNumber(text) {
  const cleaned = text.trim().replace(/\s/g, "").replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?$/.test(cleaned)) return null;
  const number = parseFloat(cleaned.replace("%", ""));
  return cleaned.endsWith("%") ? number / 100 : number;
}

export function render(ctx) {
  const { spec, practice, uid, answer, body, feedback, h, commit, showFeedback, judged, checkButton } = ctx;
  const input = h("input", { type: "text", inputmode: "decimal", id: `${uid}-input`, class: "ece-number", autocomplete: "off", "aria-describedby": `${uid}-fb` });
  if (typeof answer === "number") input.value = String(answer);
  const submit = () => {
    const value = parseNumber(input.value);
    if (value === null) {
      input.setAttribute("aria-invalid", "true");
      return showFeedback([h("p", { class: "ece-invalid", text: "Please type a number, for example 0.25." })]);
    }
    input.removeAttribute("aria-invalid");
    commit(value);
    if (practice) {
      const share = fraction(spec, value, spec.answer);
      showFeedback(judged(share, share < 1 ? `The expected answer is ${spec.answer}${spec.unit ? " " + spec.unit : ""}.` : ""));
    } else feedback.replaceChildren();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") submit();
  });
  body.append(
    h("label", { for: `${uid}-input`, class: "ece-prompt", html: spec.prompt }),
    h("div", { class: "ece-row" }, input, spec.unit ? h("span", { class: "ece-unit", text: spec.unit }) : null, checkButton(submit)),
  );
}
