// Single choice: one option; all or nothing. Mirrors kinds/single/__init__.py.

export function check(spec, value) {
  if (typeof value !== "string" || !spec.options.some((o) => o.key === value)) throw new Error(`${JSON.stringify(value)} is not one of the options`);
  return value;
}

export function fraction(spec, value, key) {
  return value === key ? 1 : 0;
}

/** Radio buttons saved at once; a practice verdict waits until the learner checks (arrow keys only browse). */
function radios(ctx, list, detailFor) {
  const { spec, practice, body, feedback, h, commit, showFeedback, judged, checkButton, withoutVerdict } = ctx;
  const { group, inputs, selected } = ctx.choices(list, false);
  const explain = (value) => {
    const option = (spec.options || []).find((o) => o.key === value);
    showFeedback([...judged(fraction(spec, value, spec.answer), detailFor(value)).slice(0, 1),
      option && option.feedback ? h("div", { class: "ece-option-feedback", html: withoutVerdict(option.feedback) }) : null,
      spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null]);
  };
  const checkSingle = () => {
    const value = selected()[0];
    if (value === undefined) return showFeedback([h("p", { text: "Choose an answer first." })]);
    explain(value);
  };
  for (const { input, choice } of inputs) {
    input.addEventListener("change", () => {
      if (!input.checked) return;
      commit(choice.key);
      if (practice) feedback.replaceChildren();
    });
    if (practice)
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          checkSingle();
        }
      });
  }
  body.append(group);
  if (practice) body.append(checkButton(checkSingle));
}

export function render(ctx) {
  radios(ctx, ctx.spec.options, () => "");
}
