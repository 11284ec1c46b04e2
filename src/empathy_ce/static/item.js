// Front end of one exercise item (an anywidget ES module).
// Practice feedback is computed here, from the item's data, so that it also works on a static page with
// no kernel. The scoring rules mirror empathy_ce/scoring.py; a test runs both on the same cases.

/** Fraction of full credit, or null for text items. Mirrors scoring.fraction. */
export function fraction(spec, value, key) {
  const kind = spec.kind;
  if (kind === "text") return null;
  if (value === null || value === undefined) return 0;
  if (kind === "single") return value === key ? 1 : 0;
  if (kind === "multiple") {
    const right = value.filter((v) => key.includes(v)).length;
    const wrong = value.filter((v) => !key.includes(v)).length;
    return Math.max(0, (right - wrong) / key.length);
  }
  if (kind === "rating") {
    const distance = Math.abs(value - key);
    const tolerance = spec.tolerance || 0;
    if (distance === 0) return 1;
    return distance <= tolerance ? 1 - distance / (tolerance + 1) : 0;
  }
  if (kind === "ordering") {
    const rank = Object.fromEntries(value.map((k, i) => [k, i]));
    let agree = 0;
    let pairs = 0;
    for (let i = 0; i < key.length; i++) {
      for (let j = i + 1; j < key.length; j++) {
        pairs += 1;
        if (rank[key[i]] < rank[key[j]]) agree += 1;
      }
    }
    return agree / pairs;
  }
  if (kind === "numeric") return Math.abs(value - key) <= (spec.tolerance || 0) + 1e-12 ? 1 : 0;
  throw new Error(`unknown item kind ${kind}`);
}

let counter = 0;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "html") node.innerHTML = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  // Keys pressed in a control belong to it, not to JupyterLab's notebook shortcuts (arrows, D D, M...).
  if (["INPUT", "BUTTON", "TEXTAREA"].includes(node.tagName)) node.setAttribute("data-lm-suppress-shortcuts", "true");
  for (const child of children) if (child) node.append(child);
  return node;
}

// Option feedback written as "Not quite. ..." or "Correct: ..." would repeat the verdict shown above it.
const LEADING_VERDICT = /^(\s*<p>)?\s*(correct|not quite|incorrect|partly correct|partially correct)\s*[.:!,;\u2014-]\s*/i;
export function withoutVerdict(html) {
  if (!html) return html;
  return html.replace(LEADING_VERDICT, (_, p) => p || "").replace(/^(\s*<p>)?\s*([a-z])/, (_, p, c) => (p || "") + c.toUpperCase());
}

// JupyterLab's Run All moves the view to the last cell. While items are rendering (a run), a scroll that the
// learner did not ask for (no wheel, key, touch or pointer outside menus and dialogs just before) is undone.
let intent = 0;
const INTENT_MS = 1500;
const ARMED_MS = 3000;
for (const type of typeof document === "undefined" ? [] : ["wheel", "touchstart", "keydown", "pointerdown"])
  document.addEventListener(type, (event) => {
    const t = event.target;
    if (t && t.closest && t.closest(".lm-MenuBar, .lm-Menu, .jp-Dialog")) return; // Run All itself
    intent = Date.now();
  }, { passive: true, capture: true });
const guarded = new WeakMap();
function keepView(el) {
  const scroller = el.closest(".jp-WindowedPanel-outer");
  if (!scroller) return;
  let guard = guarded.get(scroller);
  if (!guard) {
    // The first views render during the learner's first run: where they were is where no run had moved them,
    // the top, unless they have scrolled themselves since this module loaded.
    guard = { user: intent ? scroller.scrollTop : 0, top: 0, until: 0 };
    scroller.addEventListener("scroll", () => {
      const now = Date.now();
      if (now - intent < INTENT_MS) guard.user = scroller.scrollTop; // the learner's own scrolling
      else if (now < guard.until && Math.abs(scroller.scrollTop - guard.top) > 2) scroller.scrollTop = guard.top;
    });
    guarded.set(scroller, guard);
  }
  if (Date.now() >= guard.until) {
    // A new run: back to where the learner last put the view, and hold it there while items render.
    guard.top = guard.user;
    scroller.scrollTop = guard.top;
  }
  guard.until = Date.now() + ARMED_MS;
}

// One "n of m answered" line that stays in view at the bottom of the notebook while the learner works.
function showProgress(el, text) {
  const panel = el.closest(".jp-NotebookPanel");
  if (!panel || !text) return;
  let pill = panel.querySelector(":scope > .ece-progress-pill");
  if (!pill) {
    pill = h("p", { class: "ece-progress-pill", role: "status", "aria-live": "off" });
    panel.append(pill);
  }
  pill.textContent = text;
}

function verdict(share) {
  if (share >= 1) return { cls: "correct", icon: "✓", word: "Correct." };
  if (share > 0) return { cls: "partial", icon: "◐", word: "Partly correct." };
  return { cls: "incorrect", icon: "✗", word: "Not quite." };
}

function labelOf(spec, key) {
  const option = (spec.options || []).find((o) => o.key === key);
  return option ? option.label : key;
}

function parseNumber(text) {
  const cleaned = text.trim().replace(/\s/g, "").replace(",", ".");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?$/.test(cleaned)) return null;
  const number = parseFloat(cleaned.replace("%", ""));
  return cleaned.endsWith("%") ? number / 100 : number;
}

// A practice item's answer is private to the learner: with `private` set, it travels in messages to the kernel
// (which saves it outside the assignment folder) and never sits in the widget's state, which JupyterLab can save
// into the notebook ("Save Widget State Automatically") and so into a submission.
function render({ model, el }) {
  // A click, key or focus in the item is an answer, not a notebook command: JupyterLab must not select the cell.
  for (const type of ["mousedown", "focusin", "dblclick", "keydown"]) el.addEventListener(type, (event) => event.stopPropagation());
  const hidden = Boolean(model.get("private")) && typeof model.send === "function";
  let cleanup = draw(model, el, hidden ? null : model.get("answer"), hidden);
  if (!hidden) return () => cleanup();
  const onMessage = (message) => {
    if (!message || message.type !== "restore" || message.value === null || message.value === undefined) return;
    cleanup();
    el.replaceChildren();
    cleanup = draw(model, el, message.value, hidden);
  };
  model.on("msg:custom", onMessage);
  model.send({ type: "restore" });
  return () => {
    model.off("msg:custom", onMessage);
    cleanup();
  };
}

function draw(model, el, initial, hidden) {
  const spec = model.get("spec");
  const practice = spec.mode === "practice";
  const number = model.get("number") || 0;
  const which = number ? ` to question ${number}` : "";
  const uid = `ece-${spec.id.replace(/\./g, "-")}-${++counter}`;
  // tabindex -1: a click on the item's text focuses the item (whose focusin stays here), not the notebook cell.
  const root = h("div", { class: `ece-item ece-kind-${spec.kind}`, "data-item": spec.id, "data-mode": spec.mode, tabindex: "-1" });
  const badge = practice ? "Practice" : `Post-test · ${spec.points} point${spec.points === 1 ? "" : "s"}`;
  root.append(h("p", { class: "ece-badge", text: badge }));
  if (spec.context) root.append(h("blockquote", { class: "ece-context", html: spec.context }));

  const feedback = h("div", { class: "ece-feedback", role: "status", "aria-live": "polite", id: `${uid}-fb` });
  const status = h("p", { class: "ece-status", "aria-live": "polite" });
  let answer = initial;
  let sent = initial;

  function commit(value) {
    answer = value;
    if (hidden) {
      if (JSON.stringify(sent) === JSON.stringify(value)) return; // unchanged: already saved
      sent = value;
      model.send({ type: "answer", value });
      return;
    }
    if (JSON.stringify(model.get("answer")) === JSON.stringify(value)) return; // unchanged: already saved
    model.set("answer", value);
    model.save_changes();
    // The kernel confirms with "Saved at ..." (see onSaved); with no kernel, practice items need no status.
    if (!practice) status.textContent = "Saving…";
  }

  function showFeedback(parts) {
    feedback.replaceChildren(...parts.filter(Boolean));
  }

  function judged(share, detail) {
    const v = verdict(share);
    return [
      h("p", { class: `ece-verdict ece-${v.cls}` }, h("span", { "aria-hidden": "true", text: `${v.icon} ` }), v.word, detail ? ` ${detail}` : ""),
      spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null,
    ];
  }

  const checkButton = (onclick, text = "Check answer") => {
    const shown = practice ? text : "Save answer";
    return h("button", { type: "button", class: "ece-button", text: shown, "aria-label": `${shown}${which}`, onclick });
  };

  const body = h("div", { class: "ece-body" });
  const kind = spec.kind;

  if (kind === "single" || kind === "multiple" || kind === "rating") {
    const group = h("fieldset", { class: "ece-group", "aria-describedby": `${uid}-fb` });
    group.append(h("legend", { class: "ece-prompt", html: spec.prompt }));
    const choices =
      kind === "rating"
        ? Array.from({ length: spec.scale.max - spec.scale.min + 1 }, (_, i) => {
            const value = spec.scale.min + i;
            const anchor = (spec.scale.labels || {})[String(value)];
            return { key: value, label: anchor ? `<strong>${value}</strong> ${anchor}` : `<strong>${value}</strong>` };
          })
        : spec.options;
    const inputs = choices.map((choice, i) => {
      const input = h("input", {
        type: kind === "multiple" ? "checkbox" : "radio",
        name: uid,
        id: `${uid}-${i}`,
        value: String(choice.key),
      });
      if (kind === "multiple") input.checked = Array.isArray(answer) && answer.includes(choice.key);
      else input.checked = answer === choice.key;
      group.append(h("div", { class: "ece-choice" }, input, h("label", { for: `${uid}-${i}`, html: choice.label })));
      return { input, choice };
    });
    const selected = () => inputs.filter(({ input }) => input.checked).map(({ choice }) => choice.key);
    const explainSingle = (value) => {
      if (!practice) return;
      const option = (spec.options || []).find((o) => o.key === value);
      const detail =
        kind === "rating" && value !== spec.answer ? `The key rating is ${spec.answer}.` : "";
      showFeedback([...judged(fraction(spec, value, spec.answer), detail).slice(0, 1),
        option && option.feedback ? h("div", { class: "ece-option-feedback", html: withoutVerdict(option.feedback) }) : null,
        spec.rationale ? h("div", { class: "ece-rationale", html: spec.rationale }) : null]);
    };
    for (const { input, choice } of inputs) {
      input.addEventListener("change", () => {
        if (kind === "multiple") {
          const value = selected();
          commit(value.length ? value : null);
          if (practice) feedback.replaceChildren();
        } else if (input.checked) {
          // Saved at once; a practice verdict waits until the learner checks (arrow keys only browse).
          commit(choice.key);
          if (practice) feedback.replaceChildren();
        }
      });
      if (practice && kind !== "multiple")
        input.addEventListener("keydown", (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            checkSingle();
          }
        });
    }
    const checkSingle = () => {
      const value = selected()[0];
      if (value === undefined) return showFeedback([h("p", { text: "Choose an answer first." })]);
      explainSingle(value);
    };
    body.append(group);
    if (practice && kind !== "multiple") body.append(checkButton(checkSingle));
    if (kind === "multiple" && practice) {
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
  } else if (kind === "ordering") {
    body.append(h("p", { class: "ece-prompt", id: `${uid}-prompt`, html: spec.prompt }));
    body.append(h("p", { class: "ece-hint", text: "Use the Move up and Move down buttons to change the order." }));
    let order = Array.isArray(answer) ? [...answer] : spec.options.map((o) => o.key);
    const list = h("ol", { class: "ece-order", "aria-labelledby": `${uid}-prompt` });
    const announce = h("p", { class: "ece-sr-only", "aria-live": "assertive" });
    const draw = (focusKey, direction) => {
      list.replaceChildren(
        ...order.map((key, i) => {
          const text = labelOf(spec, key);
          const plain = h("span", { html: text }).textContent;
          const up = h("button", { type: "button", class: "ece-move", "aria-label": `Move up: ${plain}`, text: "↑ Move up", disabled: i === 0, "data-key": key, "data-dir": "up" });
          const down = h("button", { type: "button", class: "ece-move", "aria-label": `Move down: ${plain}`, text: "↓ Move down", disabled: i === order.length - 1, "data-key": key, "data-dir": "down" });
          up.addEventListener("click", () => move(i, -1));
          down.addEventListener("click", () => move(i, 1));
          return h("li", { class: "ece-order-item" }, h("span", { class: "ece-order-pos", "aria-hidden": "true", text: `${i + 1}.` }),
            h("span", { class: "ece-order-label", html: text }), h("span", { class: "ece-order-buttons" }, up, down));
        }),
      );
      if (focusKey) {
        let target = list.querySelector(`button[data-key="${focusKey}"][data-dir="${direction}"]`);
        if (!target || target.disabled) target = list.querySelector(`button[data-key="${focusKey}"]:not([disabled])`);
        if (target) target.focus();
      }
    };
    const move = (i, step) => {
      const j = i + step;
      if (j < 0 || j >= order.length) return;
      [order[i], order[j]] = [order[j], order[i]];
      const key = order[j];
      draw(key, step < 0 ? "up" : "down");
      announce.textContent = `${h("span", { html: labelOf(spec, key) }).textContent} is now number ${j + 1} of ${order.length}.`;
      commit([...order]);
      if (practice) feedback.replaceChildren();
    };
    draw();
    body.append(list, announce);
    body.append(
      h("button", {
        type: "button",
        class: "ece-button",
        text: practice ? "Check order" : "Save this order",
        "aria-label": `${practice ? "Check order" : "Save this order"}${which}`,
        onclick: () => {
          commit([...order]);
          if (!practice) return;
          const share = fraction(spec, order, spec.answer);
          const best = h("ol", {}, ...spec.answer.map((k) => h("li", { html: labelOf(spec, k) })));
          showFeedback([...judged(share, share < 1 ? `${Math.round(share * 100)}% of the pairs are in order.` : ""), share < 1 ? h("div", {}, h("p", { text: "A defensible order:" }), best) : null]);
        },
      }),
    );
  } else if (kind === "numeric") {
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
  } else if (kind === "text") {
    const area = h("textarea", { id: `${uid}-input`, class: "ece-text", rows: "6", "aria-describedby": `${uid}-count` });
    area.value = typeof answer === "string" ? answer : "";
    const limit = model.get("text_limit") || 20000;
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

  root.append(body, feedback, status);
  // `saves` counts the kernel's reports, so that two identical messages in a row still show.
  const onSaved = () => {
    const text = model.get("status");
    if (text) status.textContent = text;
  };
  model.on("change:saves", onSaved);
  onSaved();
  el.append(root);
  // The view is attached to the page after render() returns: find the notebook around it then.
  const onProgress = () => showProgress(el, model.get("progress"));
  const attached = (tries = 0) => {
    if (el.isConnected) {
      keepView(el);
      onProgress();
    } else if (tries < 50) requestAnimationFrame(() => attached(tries + 1));
  };
  attached();
  model.on("change:progress", onProgress);
  return () => {
    model.off("change:saves", onSaved);
    model.off("change:progress", onProgress);
  };
}

export default { render };
