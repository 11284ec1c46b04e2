// Survey question: no key, never scored, no feedback. Mirrors kinds/survey/__init__.py. `spec.response` names
// the control: scale (radio buttons on the scale), choice (radio buttons), number (a whole number) or text.

export const manual = true;
export const badge = "Course evaluation · not scored"; // item.js shows it instead of the points
const LIMIT = 20000; // kinds/text TEXT_LIMIT
const DEFAULT_MAXIMUM = 100000;

export function check(spec, value) {
  const response = spec.response;
  if (response === "text") {
    if (typeof value !== "string") throw new Error("expected text");
    if (value.length > LIMIT) throw new Error(`text is ${value.length} characters, the limit is ${LIMIT}`);
    return value.trim() ? value : null;
  }
  if (response === "choice") {
    if (typeof value !== "string" || !spec.options.some((o) => o.key === value)) throw new Error(`${JSON.stringify(value)} is not one of the options`);
    return value;
  }
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
  const [low, high] = response === "scale" ? [spec.scale.min, spec.scale.max] : [0, spec.maximum || DEFAULT_MAXIMUM];
  if (value < low || value > high) throw new Error(`${value} is outside ${low}..${high}`);
  return value;
}

export function fraction() {
  return null;
}

export function render(ctx) {
  const { spec, uid, answer, body, h, commit } = ctx;
  const response = spec.response;
  if (response === "scale" || response === "choice") {
    const list = response === "choice" ? spec.options : Array.from({ length: spec.scale.max - spec.scale.min + 1 }, (_, i) => {
      const value = spec.scale.min + i;
      const anchor = (spec.scale.labels || {})[String(value)];
      return { key: value, label: anchor ? `<strong>${value}</strong> ${anchor}` : `<strong>${value}</strong>` };
    });
    const { group, inputs } = ctx.choices(list, false);
    for (const { input, choice } of inputs)
      input.addEventListener("change", () => {
        if (input.checked) commit(choice.key);
      });
    body.append(group);
    return;
  }
  if (response === "number") {
    const input = h("input", { id: `${uid}-input`, type: "number", min: "0", max: String(spec.maximum || DEFAULT_MAXIMUM), step: "1", inputmode: "numeric", class: "ece-number" });
    if (typeof answer === "number") input.value = String(answer);
    input.addEventListener("change", () => {
      const text = input.value.trim();
      commit(text === "" ? null : Number(text));
    });
    body.append(h("label", { for: `${uid}-input`, class: "ece-prompt", html: spec.prompt }), h("p", {}, input, spec.unit ? ` ${spec.unit}` : null));
    return;
  }
  const area = h("textarea", { id: `${uid}-input`, class: "ece-text", rows: "5" });
  area.value = typeof answer === "string" ? answer : "";
  area.addEventListener("change", () => {
    if (area.value.length > ctx.textLimit) return; // never sent: the saved answer stays as it was
    commit(area.value.trim() ? area.value : null);
  });
  body.append(h("label", { for: `${uid}-input`, class: "ece-prompt", html: spec.prompt }), area);
}
