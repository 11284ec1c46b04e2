// Written answer: saved as typed (up to the limit), graded by hand. Mirrors kinds/text/__init__.py.

export const manual = true;
const LIMIT = 20000; // kinds/text TEXT_LIMIT

export function check(spec, value) {
  if (typeof value !== "string") throw new Error("expected text");
  if (value.length > LIMIT) throw new Error(`text is ${value.length} characters, the limit is ${LIMIT}`);
  return value.trim() ? value : null;
}

export function fraction() {
  return null;
}

export function render(ctx) {
  const { spec, practice, uid, answer, body, h, commit, showFeedback, checkButton } = ctx;
  const area = h("textarea", { id: `${uid}-input`, class: "ece-text", rows: "6", "aria-describedby": `${uid}-count` });
  area.value = typeof answer === "string" ? answer : "";
  const limit = ctx.textLimit;
  const count = h("p", { class: "ece-count", id: `${uid}-count` });
  const over = () => area.value.length > limit;
  const recount = () => {
    const words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
    const chars = area.value.length;
    count.textContent = `${words} words · ${chars.toLocaleString("en-US")} of ${limit.toLocaleString("en-US")} characters`;
    if (over()) {
      area.setAttribute("aria-invalid", "true");
      count.classList.add("ece-invalid");
      count.textContent += ` · Not saved: this is ${(chars - limit).toLocaleString("en-US")} characters over the limit. Shorten it to save; your text stays here until you do.`;
    } else {
      area.removeAttribute("aria-invalid");
      count.classList.remove("ece-invalid");
    }
  };
  const submit = () => {
    recount();
    if (over()) return; // never sent: the saved answer stays as it was, and the text stays in the box
    commit(area.value.trim() ? area.value : null);
    if (practice)
      showFeedback([
        h("p", { class: "ece-verdict", text: "Saved. Compare your answer with this example:" }),
        spec.example ? h("blockquote", { class: "ece-example", html: spec.example }) : null,
        spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null,
      ]);
  };
  area.addEventListener("input", recount);
  area.addEventListener("change", submit);
  recount();
  body.append(h("label", { for: `${uid}-input`, class: "ece-prompt", html: spec.prompt }), area, count, checkButton(submit, "Save and compare"));
  if (spec.rubric) {
    body.append(
      h("details", { class: "ece-rubric" }, h("summary", { text: "How this answer is assessed" }),
        h("ul", {}, ...spec.rubric.map((r) => h("li", { html: `${r.criterion} (${r.points} point${r.points === 1 ? "" : "s"})` })))),
    );
  }
}
