// Front end of one exercise item (an anywidget ES module): what every kind shares. Each kind's own part (its
// controls, its practice feedback and its scoring rule, the same rule as its Python) is `kinds/<kind>/front.js`.
// In JupyterLab the kinds' parts are bundled into this module at import time (`kinds/front.py` replaces the
// BUNDLED line); on the website this file is served as it is and `loadKinds` imports the parts from `kinds/`
// beside it. Practice feedback is computed here, from the item's data, so that it also works on a static page
// with no kernel; a test runs the Python and JavaScript rules on every kind's sample answers.

const BUNDLED = {}; // kinds bundled here (kinds/front.py)
const PARTS = { ...BUNDLED };

/** Import the parts of `names` not bundled (the website: kinds/<name>.js next to this file). */
export async function loadKinds(names) {
  for (const name of new Set(names))
    if (!PARTS[name]) PARTS[name] = await import(new URL(`kinds/${encodeURIComponent(name)}.js`, import.meta.url).href);
}

function part(kind) {
  const found = Object.prototype.hasOwnProperty.call(PARTS, kind) ? PARTS[kind] : null;
  if (!found) throw new Error(`unknown item kind ${kind}`);
  return found;
}

/** The answer normalised, null for unanswered, or throws for an answer that does not fit. Mirrors items.check_value. */
export function checkValue(spec, value) {
  return value === null || value === undefined ? null : part(spec.kind).check(spec, value);
}

/** The hidden key normalised, or throws. Mirrors items.check_key (a key is a right answer unless the kind says). */
export function checkKey(spec, key) {
  const kind = part(spec.kind);
  if (kind.checkKey) return kind.checkKey(spec, key);
  const value = checkValue(spec, key);
  if (value === null) throw new Error("a key cannot be empty");
  return value;
}

/** Fraction of full credit, or null for kinds graded by hand. Mirrors scoring.fraction. */
export function fraction(spec, value, key) {
  const kind = part(spec.kind);
  if (kind.manual) return null;
  if (value === null || value === undefined) return 0;
  return kind.fraction(spec, value, key);
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
// anywidget imports this module afresh for every widget, so the guard is kept on the page, not in the module:
// one record of the learner's last input and one guard per notebook view, whichever widget's copy comes first.
const INTENT_MS = 1500;
const ARMED_MS = 3000;
const KEEPER = Symbol.for("empathy-ce.keepView");
function keeper() {
  if (typeof window === "undefined") return null;
  if (!window[KEEPER]) {
    const shared = { intent: 0, guards: new WeakMap() };
    for (const type of ["wheel", "touchstart", "keydown", "pointerdown"])
      document.addEventListener(type, (event) => {
        const t = event.target;
        if (t && t.closest && t.closest(".lm-MenuBar, .lm-Menu, .jp-Dialog")) return; // Run All itself
        shared.intent = Date.now();
      }, { passive: true, capture: true });
    window[KEEPER] = shared;
  }
  return window[KEEPER];
}
keeper(); // from the first module load: a learner's scrolling before any item renders counts
function keepView(el) {
  const scroller = el.closest(".jp-WindowedPanel-outer");
  const shared = keeper();
  if (!scroller || !shared) return;
  let guard = shared.guards.get(scroller);
  if (!guard) {
    // The first views render during the learner's first run: where they were is where no run had moved them,
    // the top, unless they have scrolled themselves since this module loaded.
    guard = { user: shared.intent ? scroller.scrollTop : 0, top: 0, until: 0, timer: 0 };
    scroller.addEventListener("scroll", () => {
      const now = Date.now();
      if (now - shared.intent < INTENT_MS) guard.user = scroller.scrollTop; // the learner's own scrolling
      else if (now < guard.until && Math.abs(scroller.scrollTop - guard.top) > 2) scroller.scrollTop = guard.top;
    });
    shared.guards.set(scroller, guard);
  }
  if (Date.now() >= guard.until) {
    // A new run: back to where the learner last put the view, and hold it there while items render.
    guard.top = guard.user;
    scroller.scrollTop = guard.top;
  }
  guard.until = Date.now() + ARMED_MS;
  // While the view is held, a scroll made by a script (an assistive or test tool's "scroll into view") is undone
  // too: data-ece-held says so to such tools, which wait for it to go before they scroll and click.
  scroller.dataset.eceHeld = "";
  clearTimeout(guard.timer);
  guard.timer = setTimeout(() => delete scroller.dataset.eceHeld, ARMED_MS);
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

/** A fieldset of radio buttons or checkboxes, one per choice ({key, label}), checked from the answer. */
function choiceGroup(spec, uid, answer, list, multiple) {
  const group = h("fieldset", { class: "ece-group", "aria-describedby": `${uid}-fb` });
  group.append(h("legend", { class: "ece-prompt", html: spec.prompt }));
  const inputs = list.map((choice, i) => {
    const input = h("input", { type: multiple ? "checkbox" : "radio", name: uid, id: `${uid}-${i}`, value: String(choice.key) });
    input.checked = multiple ? Array.isArray(answer) && answer.includes(choice.key) : answer === choice.key;
    group.append(h("div", { class: "ece-choice" }, input, h("label", { for: `${uid}-${i}`, html: choice.label })));
    return { input, choice };
  });
  const selected = () => inputs.filter(({ input }) => input.checked).map(({ choice }) => choice.key);
  return { group, inputs, selected };
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
  const badge = practice ? "Practice" : part(spec.kind).badge || `Post-test · ${spec.points} point${spec.points === 1 ? "" : "s"}`;
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

  // Radio buttons saved at once (single choice, rating); in practice the verdict waits until the learner checks
  // (arrow keys only browse the options), then explain(value) shows it.
  function radios(list, explain) {
    const { group, inputs, selected } = choiceGroup(spec, uid, answer, list, false);
    const check = () => {
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
            check();
          }
        });
    }
    body.append(group);
    if (practice) body.append(checkButton(check));
  }

  // The kind's own part draws its controls into `body` and reports through these; it may return a cleanup.
  const done = part(spec.kind).render({
    spec, practice, uid, which, answer, body, feedback, h, commit, showFeedback, judged, checkButton, labelOf,
    withoutVerdict, radios, choices: (list, multiple) => choiceGroup(spec, uid, answer, list, multiple),
    textLimit: model.get("text_limit") || 20000, model,
  });

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
    if (typeof done === "function") done();
  };
}

export default { render, loadKinds };
