// Funnels: the built-in ones (registration, checkout and payment) for a window, then the shop's
// own funnels and goals for a chosen (UTC) day; an admin defines and deletes them here. Every
// name shown (steps, goals, funnels) is text someone typed or a browser sent: never markup.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/funnels", "funnels");
  await C.ready;
  if (!C.requireRole(["seller", "support", "admin"], "the funnels")) return;
  C.setStatus(true, "signed in");
  const admin = C.can(["admin"]);
  const main = document.querySelector("main");
  const windows = [["1h", "last hour"], ["24h", "last 24 h"], ["7d", "last 7 days"], ["30d", "last 30 days"]];
  const windowSelect = el("select", { id: "window", "aria-label": "window", onchange: () => load() }, windows.map(([v, t]) => el("option", { value: v, selected: v === "24h" }, t)));
  const panels = el("section", { class: "row", id: "funnels" });
  main.append(el("div", { class: "toolbar" }, el("strong", {}, "Funnels for the"), windowSelect), panels);
  const names = { registration: "Registration", checkout: "Checkout (storefront)", payment: "Payment" };

  /// Bars for steps of {label, count}: each as a share of the first, with the drop from the one before.
  function bars(steps) {
    const first = steps.length ? steps[0].count : 0;
    return el("div", { class: "funnel" }, steps.map((s, i) => {
      const share = first ? (100 * s.count / first) : 0;
      const before = i ? steps[i - 1].count : null;
      const drop = before ? Math.round(100 * (before - s.count) / before) : null;
      const fill = el("div", {});
      fill.style.width = share.toFixed(1) + "%";  // through the CSSOM: the page's policy refuses a style attribute
      return el("div", { class: "step" }, el("div", { class: "label" }, s.label, drop ? el("div", { class: "drop" }, "−" + drop + " % from the step before") : null),
        el("div", { class: "bar" }, fill, el("span", {}, s.count + (first && i ? " · " + share.toFixed(0) + " %" : ""))));
    }));
  }

  function funnel(name, f) {
    const steps = (Array.isArray(f) ? f : f.steps || []).map((s) => ({ label: s.step.replace(/_/g, " "), count: s.count }));
    return el("div", { class: "panel", "data-funnel": name }, el("h2", {}, names[name] || name), bars(steps),
      steps.length && steps[0].count ? null : el("p", { class: "empty" }, "nobody in this window yet"));
  }

  async function load() {
    try {
      const f = await C.api("/api/funnels?window=" + windowSelect.value);
      C.clear(panels).append(...["registration", "checkout", "payment"].map((n) => funnel(n, f[n])));
    } catch (e) { C.failed(panels, e); }
  }

  // --- the shop's own funnels and goals, for a day ---------------------------------------
  const today = () => new Date().toISOString().slice(0, 10);
  const dateInput = el("input", { type: "date", id: "day", value: today(), max: today(), "aria-label": "day (UTC)", onchange: () => loadCustom() });
  const custom = el("div", { id: "custom-funnels", class: "custom-funnels" });
  const goals = el("ul", { id: "goal-list", class: "bars" });
  const customPanel = el("section", { class: "panel", id: "custom" },
    el("h2", {}, "Your funnels ", el("span", { class: "sub" }, "a session counts at a step once it has reached every step before it, in order")),
    el("div", { class: "toolbar" }, el("label", { for: "day" }, "Day (UTC)"), dateInput), custom);
  const goalPanel = el("section", { class: "panel", id: "goals" },
    el("h2", {}, "Goals ", el("span", { class: "sub" }, "sessions that sent the event or opened the page type, that day")), goals);
  main.append(customPanel, goalPanel);

  const percent = (r) => (Number(r || 0) * 100).toFixed(Number(r) > 0 && Number(r) < 0.1 ? 1 : 0) + " %";
  function stepText(s) {
    if (s.event != null) return "event " + s.event;
    return "page " + s.page_type + (s.identifier != null && s.identifier !== "" ? " · " + s.identifier : "");
  }

  async function remove(path, what) {
    if (!confirm("Delete " + what + "?")) return;
    try { await C.api(path, { method: "DELETE" }); } catch (e) { alert(e.message); }
    loadCustom();
  }

  function customFunnel(def, figures) {
    const steps = figures ? figures.steps : def.steps;
    const shown = steps.map((s) => ({ label: stepText(s), count: figures ? s.sessions : 0 }));
    const table = figures ? el("div", { class: "scroll" }, el("table", { class: "funnel-figures" },
      el("thead", {}, el("tr", {}, el("th", {}, "Step"), el("th", { class: "num" }, "Sessions"), el("th", { class: "num" }, "Dropped"), el("th", { class: "num share" }, "Of the first"))),
      el("tbody", {}, steps.map((s, i) => el("tr", { "data-step": String(i + 1) }, el("td", {}, (i + 1) + ". " + stepText(s)),
        el("td", { class: "num sessions" }, String(s.sessions)), el("td", { class: "num drop" }, String(s.drop_off)), el("td", { class: "num share" }, percent(s.conversion))))))) : null;
    return el("div", { class: "custom-funnel", "data-funnel-id": def.id },
      el("div", { class: "head" }, el("h3", {}, def.name || def.id, " ", el("span", { class: "sub" }, def.id)),
        admin ? el("button", { type: "button", class: "quiet delete", "aria-label": "Delete the funnel " + def.id, onclick: () => remove("/api/analytics/funnels/" + encodeURIComponent(def.id), "the funnel " + def.id) }, "Delete") : null),
      bars(shown), table, figures ? null : el("p", { class: "empty" }, "could not read its figures"));
  }

  async function loadCustom() {
    const date = dateInput.value || today();
    try {
      const [list, day, goalDefs] = await Promise.all([C.api("/api/analytics/funnels"), C.api("/api/analytics/day?date=" + date), C.api("/api/analytics/goals")]);
      const defs = (list && list.funnels) || [];
      const figures = await Promise.all(defs.map((f) => C.api("/api/analytics/funnels/" + encodeURIComponent(f.id) + "?date=" + date).catch(() => null)));
      C.clear(custom).append(...defs.map((f, i) => customFunnel(f, figures[i])));
      if (!defs.length) custom.append(el("p", { class: "empty" }, admin ? "none yet: define one below" : "none yet (an admin defines them)"));
      const byName = new Map(((day && day.goals) || []).map((g) => [g.name, g]));
      C.clear(goals);
      for (const g of (goalDefs && goalDefs.goals) || []) {
        const got = byName.get(g.name) || { conversions: 0, rate: 0 };
        goals.append(el("li", { "data-goal": g.name }, el("span", { class: "what" }, g.name, " ", el("span", { class: "sub" }, (g.kind === "event" ? "event " : "page ") + g.target)),
          el("span", { class: "count" }, el("strong", {}, String(got.conversions)), el("span", { class: "sub" }, percent(got.rate)),
            admin ? el("button", { type: "button", class: "quiet delete", "aria-label": "Delete the goal " + g.name, onclick: () => remove("/api/analytics/goals/" + encodeURIComponent(g.name), "the goal " + g.name) }, "Delete") : null)));
      }
      if (!goals.childNodes.length) goals.append(el("li", { class: "empty" }, "no goals set"));
    } catch (e) { C.failed(custom, e); }
  }

  // --- an admin's forms ---------------------------------------------------------------------
  function field(label, input, cls) { return el("label", { class: cls || "" }, el("span", {}, label), input); }
  function result(node, ok, text) { node.className = "result " + (ok ? "ok" : "no"); node.textContent = text; }

  if (admin) {
    const steps = el("ol", { class: "step-rows" });
    function stepRow(kind, value, identifier) {
      const kindSelect = el("select", { class: "kind", "aria-label": "kind of step" },
        el("option", { value: "page_type", selected: kind !== "event" }, "page type"), el("option", { value: "event", selected: kind === "event" }, "event"));
      const valueInput = el("input", { class: "value", "aria-label": "page type or event name", placeholder: "product / add_to_cart", maxlength: "64", value: value || "" });
      const idInput = el("input", { class: "identifier", "aria-label": "identifier (optional)", placeholder: "identifier (optional)", maxlength: "256", value: identifier || "" });
      const sync = () => { idInput.hidden = kindSelect.value === "event"; };
      kindSelect.addEventListener("change", sync);
      sync();
      const row = el("li", {}, kindSelect, valueInput, idInput,
        el("button", { type: "button", class: "quiet remove", "aria-label": "remove this step", onclick: () => { if (steps.children.length > 2) row.remove(); } }, "×"));
      return row;
    }
    steps.append(stepRow("page_type", "category"), stepRow("page_type", "product"), stepRow("event", "add_to_cart"), stepRow("page_type", "checkout"));
    const idInput = el("input", { id: "funnel-id", required: true, pattern: "[a-z0-9_\\-]{1,40}", maxlength: "40", placeholder: "shop-path" });
    const nameInput = el("input", { id: "funnel-name", required: true, maxlength: "128", placeholder: "From category to checkout" });
    const funnelResult = el("p", { class: "result" });
    const funnelForm = el("form", { id: "funnel-form", class: "define", onsubmit: async (event) => {
      event.preventDefault();
      const body = { name: nameInput.value.trim(), steps: [...steps.children].map((row) => {
        const kind = row.querySelector(".kind").value, value = row.querySelector(".value").value.trim(), identifier = row.querySelector(".identifier").value.trim();
        if (kind === "event") return { event: value };
        return identifier ? { page_type: value, identifier } : { page_type: value };
      }) };
      try {
        await C.api("/api/analytics/funnels/" + encodeURIComponent(idInput.value.trim()), { method: "PUT", json: body });
        result(funnelResult, true, "Saved: sessions are counted from now on.");
        loadCustom();
      } catch (e) { result(funnelResult, false, e.message); }
    } },
    el("h3", {}, "Define a funnel ", el("span", { class: "sub" }, "2 to 8 steps; the same id again replaces it")),
    el("div", { class: "fields" }, field("Id", idInput), field("Name", nameInput, "wide")), steps,
    el("div", { class: "buttons" }, el("button", { type: "button", class: "quiet", id: "add-step", onclick: () => { if (steps.children.length < 8) steps.append(stepRow("page_type", "")); } }, "+ step"),
      el("button", { type: "submit" }, "Save the funnel")), funnelResult);
    customPanel.append(funnelForm);

    const goalName = el("input", { id: "goal-name", required: true, maxlength: "64", placeholder: "added to cart" });
    const goalKind = el("select", { id: "goal-kind" }, el("option", { value: "event" }, "event"), el("option", { value: "page_type" }, "page type"));
    const goalTarget = el("input", { id: "goal-target", required: true, maxlength: "64", placeholder: "add_to_cart" });
    const goalResult = el("p", { class: "result" });
    goalPanel.append(el("form", { id: "goal-form", class: "define", onsubmit: async (event) => {
      event.preventDefault();
      try {
        await C.api("/api/analytics/goals/" + encodeURIComponent(goalName.value.trim()), { method: "PUT", json: { kind: goalKind.value, target: goalTarget.value.trim() } });
        result(goalResult, true, "Saved.");
        loadCustom();
      } catch (e) { result(goalResult, false, e.message); }
    } }, el("h3", {}, "Set a goal"), el("div", { class: "fields" }, field("Name", goalName), field("Kind", goalKind), field("Event or page type", goalTarget)),
    el("div", { class: "buttons" }, el("button", { type: "submit" }, "Save the goal")), goalResult));
  }

  load();
  loadCustom();
  setInterval(load, 30000);
  setInterval(loadCustom, 30000);
})();
