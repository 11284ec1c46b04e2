// A learner's path through a conversation, in the browser: the same validation and scoring rule as path.py
// (documented there), for practice feedback in JupyterLab and on the static site. tests/conversation/
// test_path_js.py runs both on the same paths, valid and tampered, and requires the same verdicts and scores.

export class InvalidAnswer extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidAnswer";
  }
}

const scoreOf = (rating) => (rating - 1) / 4;

// A value as JSON, and JSON's name for its type, in the same words as path.py's messages.
const show = (value) => (value === undefined ? "null" : JSON.stringify(value));

function kindOf(value) {
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

function completePaths(script) {
  const found = [];
  const todo = [[script.start, []]];
  while (todo.length) {
    const [node, keys] = todo.pop();
    const here = script.nodes[node];
    if (here.end) {
      found.push(keys);
    } else if (keys.length < script.max_turns) {
      for (const r of here.replies) todo.push([r.next, [...keys, r.key]]);
    }
  }
  return found;
}

const meanScore = (script, path) => {
  const { turns } = walk(script, path);
  return turns.length ? turns.reduce((sum, t) => sum + scoreOf(t.reply.rating), 0) / turns.length : 0;
};

export function bestMean(script) {
  return completePaths(script).reduce((best, p) => Math.max(best, meanScore(script, p)), 0);
}

function longestToEnd(script, node) {
  const here = script.nodes[node];
  if (here.end) return 0;
  return 1 + Math.max(...here.replies.map((r) => longestToEnd(script, r.next)));
}

// Share of full credit: the mean score of the chosen replies over the best path's; an unfinished path counts
// the turns it did not take (as many as the longest way to an end) as 0; unanswered earns 0.
export function fraction(script, value) {
  const path = checkPath(script, value);
  if (!path) return 0;
  const steps = walk(script, path);
  const best = bestMean(script);
  if (best <= 0) return 0;
  const total = steps.turns.reduce((sum, t) => sum + scoreOf(t.reply.rating), 0);
  const turns = path.length + (steps.end ? 0 : longestToEnd(script, steps.last));
  return Math.min(1, total / turns / best);
}
