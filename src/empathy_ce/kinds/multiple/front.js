// Multiple choice: right minus wrong picks over the right ones, floored at 0. Mirrors kinds/multiple/__init__.py.

export function check(spec, value) {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error("expected a list of option keys");
  if (new Set(value).size !== value.length) throw new Error("option keys repeat");
  if (!value.every((v) => spec.options.some((o) => o.key === v))) throw new Error("unknown option keys");
  return value.length ? value : null; // nothing chosen is unanswered
}

export function fraction(spec, value, key) {
  const right = value.filter((v) => key.includes(v)).length;
  const wrong = value.filter((v) => !key.includes(v)).length;
  return Math.max(0, (right - wrong) / key.length);
}

export function render(ctx) {
  const { spec, practice, body, feedback, h, commit, showFeedback, judged, checkButton, withoutVerdict } = ctx;
  const { group, inputs, selected } = ctx.choices(spec.options, true);
  for (const { input } of inputs)
    input.addEventListener("change", () => {
      const value = selected();
      commit(value.length ? value : null);
      if (practice) feedback.replaceChildren();
    });
  body.append(group);
  if (!practice) return;
  body.append(
    checkButton(() => {
      const value = selected();
      if (!value.length) return showFeedback([h("p", { text: "Select at least one option first." })]);
      const share = fraction(spec, value, spec.answer);
      const notes = spec.options
        .filter((o) => value.includes(o.key) || spec.answer.includes(o.key))
        .map((o) => {
          const picked = value.includes(o.key);
          const right = spec.answer.includes(o.key);
          const tag = picked ? (right ? "You chose this, and it applies." : "You chose this, but it does not apply.") : "This one also applies.";
          return h("li", {}, h("strong", { html: `${o.label}: ` }), `${tag} `, o.feedback ? h("span", { html: withoutVerdict(o.feedback) }) : "");
        });
      showFeedback([...judged(share, ""), h("ul", { class: "ece-option-notes" }, ...notes)]);
    }),
  );
}
