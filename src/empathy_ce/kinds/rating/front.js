// Rating on a scale: full credit at the key; within the tolerance 1 - distance / (tolerance + 1); else 0.
// Mirrors kinds/rating/__init__.py. The radio buttons behave as a single choice's (kinds/single/front.js).

export function check(spec, value) {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`a rating must be a whole number, got ${JSON.stringify(value)}`);
  if (value < spec.scale.min || value > spec.scale.max) throw new Error(`rating ${value} is outside ${spec.scale.min}..${spec.scale.max}`);
  return value;
}

export function fraction(spec, value, key) {
  const distance = Math.abs(value - key);
  const tolerance = spec.tolerance || 0;
  if (distance === 0) return 1;
  return distance <= tolerance ? 1 - distance / (tolerance + 1) : 0;
}

export function render(ctx) {
  const { spec, h, showFeedback, judged } = ctx;
  const list = Array.from({ length: spec.scale.max - spec.scale.min + 1 }, (_, i) => {
    const value = spec.scale.min + i;
    const anchor = (spec.scale.labels || {})[String(value)];
    return { key: value, label: anchor ? `<strong>${value}</strong> ${anchor}` : `<strong>${value}</strong>` };
  });
  ctx.radios(list, (value) => {
    const detail = value !== spec.answer ? `The expected rating is ${spec.answer}.` : "";
    showFeedback([...judged(fraction(spec, value, spec.answer), detail).slice(0, 1),
      spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null]);
  });
}
