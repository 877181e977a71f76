// Funnels: registration, checkout and payment, each step a bar with the drop-off from the one before.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/funnels", "funnels");
  await C.ready;
  if (!C.requireRole(["seller", "support", "admin"], "the funnels")) return;
  C.setStatus(true, "signed in");
  const main = document.querySelector("main");
  const windows = [["1h", "last hour"], ["24h", "last 24 h"], ["7d", "last 7 days"], ["30d", "last 30 days"]];
  const windowSelect = el("select", { id: "window", onchange: () => load() }, windows.map(([v, t]) => el("option", { value: v, selected: v === "24h" }, t)));
  const panels = el("section", { class: "row", id: "funnels" });
  main.append(el("div", { class: "toolbar" }, el("strong", {}, "Funnels for the"), windowSelect), panels);
  const names = { registration: "Registration", checkout: "Checkout (storefront)", payment: "Payment" };

  function funnel(name, f) {
    const steps = Array.isArray(f) ? f : f.steps || [];
    const first = steps.length ? steps[0].count : 0;
    return el("div", { class: "panel", "data-funnel": name }, el("h2", {}, names[name] || name),
      el("div", { class: "funnel" }, steps.map((s, i) => {
        const share = first ? (100 * s.count / first) : 0;
        const before = i ? steps[i - 1].count : null;
        const drop = before ? Math.round(100 * (before - s.count) / before) : null;
        const fill = el("div", {});
        fill.style.width = share.toFixed(1) + "%";  // through the CSSOM: the page's policy refuses a style attribute
        return el("div", { class: "step" }, el("div", {}, s.step.replace(/_/g, " "), drop ? el("div", { class: "drop" }, "−" + drop + " % from the step before") : null),
          el("div", { class: "bar" }, fill, el("span", {}, s.count + (first && i ? " · " + share.toFixed(0) + " %" : ""))));
      })), first ? null : el("p", { class: "empty" }, "nobody in this window yet"));
  }

  async function load() {
    try {
      const f = await C.api("/api/funnels?window=" + windowSelect.value);
      C.clear(panels).append(...["registration", "checkout", "payment"].map((n) => funnel(n, f[n])));
    } catch (e) { C.failed(panels, e); }
  }
  load();
  setInterval(load, 30000);
})();
