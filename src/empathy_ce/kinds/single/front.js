// Single choice: one option; all or nothing. Mirrors kinds/single/__init__.py.

export function check(spec, value) {
  if (typeof value !== "string" || !spec.options.some((o) => o.key === value)) throw new Error(`${JSON.stringify(value)} is not one of the options`);
  return value;
}

export function fraction(spec, value, key) {
  return value === key ? 1 : 0;
}

export function render(ctx) {
  const { spec, h, showFeedback, judged, withoutVerdict } = ctx;
  ctx.radios(spec.options, (value) => {
    const option = spec.options.find((o) => o.key === value);
    showFeedback([...judged(fraction(spec, value, spec.answer), "").slice(0, 1),
      option && option.feedback ? h("div", { class: "ece-option-feedback", html: withoutVerdict(option.feedback) }) : null,
      spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null]);
  });
}
