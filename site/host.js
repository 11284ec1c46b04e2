// A tiny anywidget host for the course website: no widget manager, no require.js, no jQuery.
//
// Every practice item is already in the page as plain HTML (a fieldset `.ece-static` with the vignette, the
// question and labelled native inputs, plus the item's front-end view in `script.ece-spec`), so it can be
// read, printed and searched with scripts off. This script loads the item's own anywidget front-end module
// (item.js, the same file JupyterLab runs) once per page and runs its `render({model, el})` on each item, with
// a minimal model fed from that JSON: practice feedback and scoring are exactly the ones learners get in
// JupyterLab. The site post-render step copies this file, item.js and each kind's part (kinds/<kind>.js, which
// item.js imports for the kinds on the page) next to each other in site_libs/.

/** The part of the anywidget model interface the item front end uses: get, set, on, off, save_changes. */
function staticModel(state) {
  const listeners = new Map();
  return {
    get: (name) => state[name],
    set(name, value) {
      state[name] = value;
      for (const callback of listeners.get(`change:${name}`) || []) callback();
    },
    on(event, callback) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(callback);
    },
    off(event, callback) {
      if (!event) listeners.clear();
      else if (!callback) listeners.delete(event);
      else listeners.get(event)?.delete(callback);
    },
    // No kernel to save to: a practice answer lives in the page only (the widget shows no "Saved" status).
    save_changes() {},
    send() {},
  };
}

async function enhance() {
  const items = [...document.querySelectorAll("fieldset.ece-static[data-ece-item]")];
  if (!items.length) return;
  const module = await import(new URL("item.js", import.meta.url).href);
  const widget = module.default ?? module;
  // Each kind's part of the front end (kinds/<kind>.js beside item.js), once per kind on the page.
  const kinds = items.map((fieldset) => [...fieldset.classList].find((c) => c.startsWith("ece-kind-"))?.slice(9));
  try {
    await widget.loadKinds(kinds.filter(Boolean));
  } catch (error) {
    console.error("item kinds could not be loaded", error); // the static items stay readable
    return;
  }
  for (const [index, fieldset] of items.entries()) {
    const data = fieldset.querySelector("script.ece-spec");
    if (!data) continue;
    let spec;
    try {
      spec = JSON.parse(data.textContent);
    } catch (error) {
      console.error(`item ${fieldset.dataset.eceItem}: unreadable item data`, error);
      continue; // the static item stays readable
    }
    const el = document.createElement("div");
    el.className = "ece-host";
    // number: the item's place on the page, for names such as "Check answer to question 3".
    widget.render({ model: staticModel({ spec, answer: null, status: "", saves: 0, number: index + 1 }), el });
    // Enhance in place: the live item (the same DOM as in JupyterLab) takes the static item's place.
    fieldset.replaceWith(el);
  }
}

enhance();
