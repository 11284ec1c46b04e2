// Attestation before submitting a post-test: a box to tick, the learner's typed name, the minutes spent and an
// optional license number and jurisdiction. Never scored. Mirrors kinds/attestation/__init__.py.

export const manual = true;
export const badge = "Attestation · not scored"; // item.js shows it instead of the points
const FIELDS = ["attested", "name", "minutes", "license_number", "license_jurisdiction"];
const TEXT_FIELDS = ["name", "license_number", "license_jurisdiction"];
const FIELD_LIMIT = 200;
const MAX_MINUTES = 100000;

export function check(spec, value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("an attestation is a record of fields");
  const unknown = Object.keys(value).filter((k) => !FIELDS.includes(k)).sort();
  if (unknown.length) throw new Error(`unknown attestation fields ${unknown}`);
  const attested = value.attested === undefined ? false : value.attested;
  if (typeof attested !== "boolean") throw new Error("'attested' must be true or false");
  const found = { attested };
  for (const field of TEXT_FIELDS) {
    let text = value[field] === undefined || value[field] === null ? "" : value[field];
    if (typeof text !== "string") throw new Error(`'${field}' must be text`);
    if (text.length > FIELD_LIMIT) throw new Error(`'${field}' is ${text.length} characters, the limit is ${FIELD_LIMIT}`);
    found[field] = text.trim();
  }
  let minutes = value.minutes === undefined ? null : value.minutes;
  if (minutes !== null && (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 0 || minutes > MAX_MINUTES))
    throw new Error(`'minutes' must be a whole number from 0 to ${MAX_MINUTES}`);
  found.minutes = minutes;
  if (!attested && !minutes && !TEXT_FIELDS.some((f) => found[f])) return null;
  return found;
}

export function fraction() {
  return null;
}

export function render(ctx) {
  const { uid, answer, body, h, commit } = ctx;
  const saved = answer && typeof answer === "object" ? answer : {};
  const box = h("input", { id: `${uid}-attested`, type: "checkbox" });
  box.checked = saved.attested === true;
  const field = (name, label, attrs = {}) => {
    const input = h("input", { id: `${uid}-${name}`, type: "text", maxlength: String(FIELD_LIMIT), ...attrs });
    if (saved[name] !== undefined && saved[name] !== null) input.value = String(saved[name]);
    return [input, h("p", {}, h("label", { for: `${uid}-${name}`, text: label }), " ", input)];
  };
  const [name, nameRow] = field("name", "Your full name (as it should appear on the certificate):", { autocomplete: "name" });
  const [minutes, minutesRow] = field("minutes", "Minutes you spent on this module:", { type: "number", min: "0", step: "1", inputmode: "numeric" });
  const [license, licenseRow] = field("license_number", "License number (optional):");
  const [place, placeRow] = field("license_jurisdiction", "Licensing jurisdiction, e.g. state or province (optional):");
  const send = () => {
    const text = minutes.value.trim();
    commit({ attested: box.checked, name: name.value, minutes: text === "" ? null : Number(text), license_number: license.value, license_jurisdiction: place.value });
  };
  for (const input of [box, name, minutes, license, place]) input.addEventListener("change", send);
  body.append(h("p", { class: "ece-prompt", html: ctx.spec.prompt }),
    h("p", {}, box, " ", h("label", { for: `${uid}-attested`, text: "I attest to the statement above." })),
    nameRow, minutesRow, licenseRow, placeRow);
}
