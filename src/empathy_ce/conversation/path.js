// A learner's path through a conversation, in the browser: the same validation and scoring rule as path.py
// (documented there), for practice feedback in JupyterLab and on the static site. tests/conversation/
// test_path_js.py runs both on the same paths, valid and tampered, and requires the same verdicts and scores.
// The conversation item kind's front.js imports it (kinds/front.py inlines it there for JupyterLab and the site),
// so it follows the rules of a module a kind imports: it imports nothing and exports only by name.

export class InvalidAnswer extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidAnswer";
  }
}

const scoreOf = (rating) => (rating - 1) / 4;

// A value as JSON, and JSON's name for its type, in the same words as path.py's messages.
const show = (value) => (value === undefined ? "null" : JSON.stringify(value));

export function kindOf(value) {
  if (typeof value === "boolean") return "true or false";
  if (typeof value === "number") return "a number";
  if (typeof value === "string") return "text";
  return "an object";
}

// The path (a list of reply keys) if it fits the script, null for unanswered; throws InvalidAnswer otherwise.
export function checkPath(script, value) {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) {
    throw new InvalidAnswer(`a conversation answer must be a list of reply keys, one per turn, got ${kindOf(value)}`);
  }
  const limit = script.max_turns;
  if (value.length > limit) {
    throw new InvalidAnswer(`the path has ${value.length} replies, but this conversation has at most ${limit} turns`);
  }
  if (value.length === 0) return null;
  let node = script.start;
  value.forEach((key, i) => {
    const turn = i + 1;
    const here = script.nodes[node];
    if (here.end) {
      throw new InvalidAnswer(`turn ${turn}: the conversation had already ended after turn ${turn - 1}, `
        + `so there is no reply ${show(key)} to choose`);
    }
    if (typeof key !== "string") {
      throw new InvalidAnswer(`turn ${turn}: expected a reply key, got ${show(key)} (a path cannot skip a turn)`);
    }
    const reply = here.replies.find((r) => r.key === key);
    if (!reply) {
      throw new InvalidAnswer(`turn ${turn}: ${show(key)} is not one of the replies at this point `
        + `(${here.replies.map((r) => r.key).join(", ")})`);
    }
    node = reply.next;
  });
  return [...value];
}

// The turns of a checked path: [{node, reply}], the node it stopped at, and whether that is an end line.
export function walk(script, path) {
  let node = script.start;
  const turns = [];
  for (const key of path || []) {
    const reply = script.nodes[node].replies.find((r) => r.key === key);
    turns.push({ node, reply });
    node = reply.next;
  }
  return { turns, last: node, end: Boolean(script.nodes[node].end) };
}

// Per node: Map(turns to an end -> the highest total score of a path of that many turns), by dynamic
// programming, in the same order as path.py's totals() so that both add the same floating-point numbers.
export function totals(script) {
  const memo = new Map();
  const active = new Set();
  const of = (node) => {
    if (memo.has(node)) return memo.get(node);
    if (active.has(node)) throw new Error(`the script loops at node '${node}': run the authoring check first`);
    active.add(node);
    const here = script.nodes[node];
    const best = here.end ? new Map([[0, 0]]) : new Map();
    for (const reply of here.end ? [] : here.replies || []) {
      for (const [turns, total] of of(reply.next)) {
        const candidate = total + scoreOf(reply.rating);
        if (!best.has(turns + 1) || candidate > best.get(turns + 1)) best.set(turns + 1, candidate);
      }
    }
    active.delete(node);
    memo.set(node, best);
    return best;
  };
  of(script.start);
  return memo;
}

const bestOf = (table, start) => {
  let best = 0;
  let seen = false;
  for (const [turns, total] of table.get(start)) {
    if (turns && (!seen || total / turns > best)) {
      best = total / turns;
      seen = true;
    }
  }
  return best;
};

export const bestMean = (script) => bestOf(totals(script), script.start);

// Share of full credit: the mean score of the chosen replies over the best path's; an unfinished path counts
// the turns it did not take (as many as the longest way to an end) as 0; unanswered earns 0.
export function fraction(script, value) {
  const path = checkPath(script, value);
  if (!path) return 0;
  const steps = walk(script, path);
  const table = totals(script);
  const best = bestOf(table, script.start);
  if (best <= 0) return 0;
  let total = 0;
  for (const t of steps.turns) total += scoreOf(t.reply.rating);
  const turns = path.length + (steps.end ? 0 : Math.max(...table.get(steps.last).keys()));
  return Math.min(1, total / turns / best);
}

// The end screen's MITI summary for a list of codes, as profile.py's summary() computes it (the caution text and
// labels come from Python with the script): R:Q and %CR beside the MITI 4 thresholds, training heuristics only.
export const THRESHOLDS = { "R:Q": [1.0, 2.0], "%CR": [0.4, 0.5] };

function band(measure, value) {
  const [fair, good] = THRESHOLDS[measure];
  if (value === null) return "not computed";
  if (value >= good) return "at or above good";
  return value >= fair ? "at or above fair" : "below fair";
}

export function summary(codes) {
  const count = (wanted) => codes.filter((c) => wanted.includes(c)).length;
  const reflections = count(["simple-reflection", "complex-reflection"]);
  const questions = count(["open-question", "closed-question"]);
  const complex = count(["complex-reflection"]);
  const ratio = questions ? reflections / questions : null;
  const share = reflections ? complex / reflections : null;
  const counts = {};
  for (const c of codes) counts[c] = (counts[c] || 0) + 1;
  return {
    counts, reflections, questions, complex_reflections: complex,
    measures: [
      { measure: "R:Q", label: "reflections per question", value: ratio, fair: THRESHOLDS["R:Q"][0],
        good: THRESHOLDS["R:Q"][1], band: !questions && reflections ? "at or above good" : band("R:Q", ratio) },
      { measure: "%CR", label: "share of reflections that are complex", value: share, fair: THRESHOLDS["%CR"][0],
        good: THRESHOLDS["%CR"][1], band: band("%CR", share) },
    ],
  };
}
