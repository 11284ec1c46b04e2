// Ordering: the share of option pairs in the key's relative order. Mirrors kinds/ordering/__init__.py.

export function check(spec, value) {
  const keys = spec.options.map((o) => o.key);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error("expected a list of option keys");
  if (new Set(value).size !== value.length) throw new Error("option keys repeat");
  if (!value.every((v) => keys.includes(v))) throw new Error("unknown option keys");
  if (value.length !== keys.length) throw new Error("an order must list every option once");
  return value;
}

export function fraction(spec, value, key) {
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

export function render(ctx) {
  const { spec, practice, uid, which, answer, body, feedback, h, commit, showFeedback, judged, labelOf } = ctx;
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
}
