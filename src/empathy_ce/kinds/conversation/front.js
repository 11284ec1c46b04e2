// Conversation with a simulated client (mirrors kinds/conversation/__init__.py). The path rule and the end
// screen's summary are conversation/path.js, imported (kinds/front.py inlines it for JupyterLab and the site);
// tests/test_scoring.py and tests/kinds/test_conversation.py run this module against Python's rule. Answer:
// {path: [reply keys], written: text or null}; key (hidden tests; a practice item's `answer`): the script's
// answer_key.
import { InvalidAnswer, checkPath, fraction as pathFraction, kindOf, summary, walk } from "../../conversation/path.js";

// ---------------------------------------------------------------------------------------------- the kind's rule
const TEXT_LIMIT = 20000; // kinds/text TEXT_LIMIT
const SCRIPT_FIELDS = ["path", "written"];
const CODE_NAMES = ["simple-reflection", "complex-reflection", "open-question", "closed-question", "affirmation",
  "validation", "information", "premature-advice", "self-focused-or-judging"];

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export function check(spec, value) {
  if (!isObject(value)) throw new InvalidAnswer(`a conversation answer must be an object with the path of replies, got ${Array.isArray(value) ? "list" : kindOf(value)}`);
  const extra = Object.keys(value).filter((k) => !SCRIPT_FIELDS.includes(k)).sort();
  if (extra.length) throw new InvalidAnswer(`a conversation answer has only a path and a written reply, not ${extra.join(", ")}`);
  const path = checkPath(spec.conversation, value.path) || [];
  let written = value.written;
  if (written !== null && written !== undefined) {
    if (!spec.conversation.written_turn) throw new InvalidAnswer("this conversation has no written turn, so a written reply cannot be saved");
    if (typeof written !== "string") throw new InvalidAnswer(`the written reply must be text, got ${kindOf(written)}`);
    if (written.length > TEXT_LIMIT) throw new InvalidAnswer(`the written reply is ${written.length} characters, the limit is ${TEXT_LIMIT}`);
  }
  written = written && written.trim() ? written : null;
  if (!path.length && written === null) return null;
  return { path, written };
}

// The script with the key's fields put back on each reply (split.join); throws if they do not fit.
function join(conv, key) {
  if (key.id !== conv.id) throw new InvalidAnswer(`the key is for ${key.id}, the conversation is ${conv.id}`);
  const nodes = {};
  for (const [name, node] of Object.entries(conv.nodes)) {
    const keyed = key.replies[name] || {};
    const replies = node.replies || [];
    const mine = replies.map((r) => r.key).sort();
    const theirs = Object.keys(keyed).sort();
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) throw new InvalidAnswer(`the key does not fit line ${name}`);
    nodes[name] = node.replies ? { ...node, replies: replies.map((r) => ({ ...r, ...keyed[r.key] })) } : node;
  }
  const extra = Object.keys(key.replies).filter((name) => !(name in conv.nodes));
  if (extra.length) throw new InvalidAnswer(`the key has replies for lines the conversation lacks: ${extra.join(", ")}`);
  return { ...conv, nodes, expert_path: [...(key.expert_path || [])] };
}

export function checkKey(spec, key) {
  if (!isObject(key) || !isObject(key.replies)) throw new InvalidAnswer("a conversation's key must be its answer key");
  const script = join(spec.conversation, key);
  for (const [name, node] of Object.entries(script.nodes)) {
    for (const reply of node.replies || []) {
      if (!Number.isInteger(reply.rating) || reply.rating < 1 || reply.rating > 5) throw new InvalidAnswer(`the key rates line ${name}, reply ${reply.key} outside 1-5`);
      if (!CODE_NAMES.includes(reply.code)) throw new InvalidAnswer(`the key codes line ${name}, reply ${reply.key} with an unknown code`);
    }
  }
  const expert = checkPath(script, script.expert_path);
  if (!expert || !walk(script, expert).end) throw new InvalidAnswer("the key's expert path does not reach the end of the conversation");
  return key;
}

export function fraction(spec, value, key) {
  return pathFraction(join(spec.conversation, key), value.path);
}

// ---------------------------------------------------------------------------------------------- the view
const percent = (v) => `${Math.round(v * 100)}%`;
const measureText = (m) => (m.value === null ? (m.band === "not computed" ? "not computed" : "no questions") : m.measure === "%CR" ? percent(m.value) : `${m.value.toFixed(1)}:1`);
const thresholdText = (m) => (m.measure === "%CR" ? `fair ${percent(m.fair)}, good ${percent(m.good)}` : `fair ${m.fair}:1, good ${m.good}:1`);

export function render(ctx) {
  const { spec, practice, uid, which, body, h, commit } = ctx;
  const conv = spec.conversation;
  const name = conv.client.name;
  // Practice carries the key (its feedback); an assessment never does, so it shows no feedback until grading.
  const script = practice && isObject(spec.answer) ? join(conv, spec.answer) : conv;
  const labels = (practice && spec.answer && spec.answer.code_labels) || {};
  let state = { path: [], written: null };
  try { state = check(spec, ctx.answer) || state; } catch (err) { /* no longer fits: the kernel told the learner */ }
  let started = state.path.length > 0 || state.written !== null;

  const save = () => commit(state.path.length || state.written !== null ? { path: [...state.path], written: state.written } : null);

  if (conv.content_note) body.append(h("div", { class: "ece-conv-note", role: "note" }, h("strong", { text: "Content note. " }), h("div", { html: conv.content_note })));
  body.append(h("div", { class: "ece-prompt", html: spec.prompt }));
  body.append(h("div", { class: "ece-conv-setting" }, h("div", { html: conv.client.description }), h("div", { html: conv.setting })));
  const log = h("div", { class: "ece-conv-log", role: "log", "aria-live": "polite", "aria-label": `Conversation with ${name}${which}` });
  const turnArea = h("div", { class: "ece-conv-turn" });
  const startButton = h("button", { type: "button", class: "ece-button", text: "Start the conversation", "aria-label": `Start the conversation${which}` });
  body.append(startButton, log, turnArea);

  const clientEntry = (node) => {
    const here = conv.nodes[node];
    return h("div", { class: "ece-conv-client", tabindex: "-1", "data-node": node },
      h("strong", { text: `${name}: ` }), h("span", { html: here.client }),
      here.note ? h("em", { class: "ece-conv-stage", html: here.note }) : null);
  };
  const feedbackEntry = (reply) => h("div", { class: "ece-conv-feedback" },
    h("p", {}, h("strong", { text: "Code: " }), labels[reply.code] || reply.code, " · ",
      h("strong", { text: "Empathy rating: " }), `${reply.rating} of 5`),
    h("div", { html: reply.feedback }),
    h("details", {}, h("summary", { text: "Why" }), h("div", { html: reply.rationale })));
  const replyEntry = (turn, reply) => h("div", { class: "ece-conv-you" },
    h("strong", { text: `You (turn ${turn}): ` }), h("span", { html: reply.text }),
    practice && reply.rating !== undefined ? feedbackEntry(reply) : null);
  const writtenEntry = () => h("div", { class: "ece-conv-you ece-conv-written" },
    h("strong", { text: "Your own reply (locked): " }), h("span", { text: state.written }),
    practice && spec.answer && spec.answer.written_examples && spec.answer.written_examples.length
      ? h("div", { class: "ece-conv-feedback" }, h("p", { text: "Compare it with replies an experienced clinician might give:" }),
        h("ul", {}, ...spec.answer.written_examples.map((e) => h("li", { html: e }))))
      : null);

  // The whole log again (on start, restore, or going back): marked busy so that it is not read out line by line.
  const rebuild = () => {
    log.setAttribute("aria-busy", "true");
    log.replaceChildren();
    const steps = walk(script, state.path);
    const written = conv.written_turn;
    if (!steps.turns.length) log.append(clientEntry(conv.start));
    steps.turns.forEach(({ node, reply }, i) => {
      if (i === 0) log.append(clientEntry(node));
      if (written && written.node === node && state.written !== null) log.append(writtenEntry());
      log.append(replyEntry(i + 1, reply), clientEntry(reply.next));
    });
    if (written && written.node === steps.last && state.written !== null) log.append(writtenEntry());
    log.removeAttribute("aria-busy");
  };

  const focusLast = () => [...log.querySelectorAll(".ece-conv-client")].slice(-1).forEach((line) => line.focus());

  const endScreen = (steps) => {
    const parts = [h("p", { class: "ece-conv-ended", text: `The conversation has ended (${steps.turns.length} turn${steps.turns.length === 1 ? "" : "s"}).` })];
    if (!practice) return [...parts, h("p", { text: "Your path is saved. Feedback on your replies comes with your graded post-test." })];
    const codes = steps.turns.map((t) => t.reply.code);
    const mine = summary(codes);
    const expertSteps = walk(script, script.expert_path);
    const expert = summary(expertSteps.turns.map((t) => t.reply.code));
    const rows = mine.measures.map((m, i) => h("tr", {},
      h("th", { scope: "row", text: `${m.measure} (${m.label})` }), h("td", { text: measureText(m) }),
      h("td", { text: measureText(expert.measures[i]) }), h("td", { text: thresholdText(m) }), h("td", { text: m.band })));
    parts.push(
      h("p", { text: `Your replies earned ${percent(pathFraction(script, state.path))} of the best path's score.` }),
      h("h4", { text: "Your replies, coded" }),
      h("ol", {}, ...steps.turns.map((t) => h("li", {}, h("span", { html: t.reply.text }), ` (${labels[t.reply.code] || t.reply.code}, empathy rating ${t.reply.rating} of 5)`))),
      h("div", { class: "ece-conv-table", role: "region", tabindex: "0", "aria-label": "MITI thresholds" }, h("table", { class: "ece-conv-profile" },
        h("caption", { text: "Your replies beside the MITI 4 thresholds (a training heuristic, not a verdict)" }),
        h("thead", {}, h("tr", {}, ...["Measure", "Yours", "Expert path", "MITI thresholds", "Yours, in words"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, ...rows))),
      spec.answer && spec.answer.caution ? h("div", { class: "ece-conv-caution", html: spec.answer.caution }) : null,
      h("h4", { text: "The path an experienced clinician would likely take" }),
      h("ol", {}, ...expertSteps.turns.map((t) => h("li", {}, h("span", { html: conv.nodes[t.node].client }), " ",
        h("strong", { text: "→ " }), h("span", { html: t.reply.text }), ` (${labels[t.reply.code] || t.reply.code})`))));
    return parts;
  };

  const drawTurn = () => {
    turnArea.replaceChildren();
    startButton.hidden = started;
    log.hidden = !started;
    if (!started) return;
    const steps = walk(script, state.path);
    const here = conv.nodes[steps.last];
    const tools = [];
    if (practice && state.path.length) {
      tools.push(h("button", { type: "button", class: "ece-button ece-conv-back", text: "Go back one turn", "aria-label": `Go back one turn${which}`,
        onclick: () => ((state.path = state.path.slice(0, -1)), save(), redraw()) }));
    }
    if (steps.end) return turnArea.append(...endScreen(steps), ...tools);
    const written = conv.written_turn;
    if (written && written.node === steps.last && state.written === null) {
      const area = h("textarea", { id: `${uid}-written`, class: "ece-text", rows: "4" });
      const submit = h("button", { type: "button", class: "ece-button", text: "Submit and lock my reply",
        onclick: () => {
          if (!area.value.trim()) return ctx.showFeedback([h("p", { text: "Write your reply first; it is locked once submitted." })]), area.focus();
          state.written = area.value.slice(0, TEXT_LIMIT);
          ctx.showFeedback([]), save(), rebuild(), drawTurn();
          turnArea.querySelector(".ece-conv-reply")?.focus(); // the choices appear only now: to the first
        } });
      turnArea.append(h("label", { for: `${uid}-written`, class: "ece-prompt", html: written.prompt }), area, submit);
      if (written.rubric) turnArea.append(h("details", { class: "ece-rubric" }, h("summary", { text: "How this reply is assessed" }),
        h("ul", {}, ...written.rubric.map((r) => h("li", { html: `${r.criterion} (${r.points} point${r.points === 1 ? "" : "s"})` })))));
      return turnArea.append(...tools);
    }
    const group = h("div", { class: "ece-conv-replies", role: "group", "aria-label": `Your reply to ${name}, turn ${state.path.length + 1}` });
    for (const reply of here.replies) {
      group.append(h("button", { type: "button", class: "ece-conv-reply", "data-key": reply.key,
        onclick: () => {
          state.path = [...state.path, reply.key];
          save(); // the new lines are appended (not the log rebuilt), so that the live log announces just them
          log.append(replyEntry(state.path.length, script.nodes[steps.last].replies.find((r) => r.key === reply.key)), clientEntry(reply.next));
          drawTurn(), focusLast();
        } }, h("span", { class: "ece-conv-key", text: `Reply ${reply.key.toUpperCase()}: ` }), h("span", { html: reply.text })));
    }
    turnArea.append(h("p", { class: "ece-conv-ask", text: `Choose your reply to ${name}:` }), group, ...tools);
  };

  const redraw = () => (rebuild(), drawTurn(), focusLast());
  startButton.addEventListener("click", () => ((started = true), redraw()));
  if (started) rebuild();
  drawTurn();
}
