// Payments: stats for a window, open gaps and unmatched payments with a Resolve button (a
// note is required, the trail is shown), recent payments by status and provider, and the
// webhook deliveries with their signature check. Live: refetched on the seller room's events.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/payments", "payments");
  await C.ready;
  if (!C.requireRole(["seller", "support", "admin"], "the payments page")) return;
  const resolver = C.can(["support", "admin"]);  // a seller sees payments read-only
  // A reference links to its whole story on /support for the roles that may open it.
  const story = (reference, text) => C.can(["support", "admin"]) ? el("a", { href: "/support?q=" + encodeURIComponent(reference) }, text) : null;
  const main = document.querySelector("main");
  const windows = [["1h", "last hour"], ["24h", "last 24 h"], ["7d", "last 7 days"], ["30d", "last 30 days"]];
  const statuses = ["", "initialized", "completed", "webhook_received", "credited", "failed"];
  const providers = ["", "paystack", "nowpayments", "stripe", "mpesa"];

  const windowSelect = el("select", { id: "window", onchange: () => loadStats() }, windows.map(([v, t]) => el("option", { value: v, selected: v === "24h" }, t)));
  const statusSelect = el("select", { id: "status-filter", onchange: () => loadPayments() }, statuses.map((s) => el("option", { value: s }, s || "any status")));
  const providerSelect = el("select", { id: "provider-filter", onchange: () => loadPayments() }, providers.map((s) => el("option", { value: s }, s || "any provider")));
  const tiles = el("section", { class: "tiles", id: "stats" });
  const problems = el("div", { id: "problems" });
  const payments = el("div", { class: "scroll", id: "payments" });
  const deliveries = el("div", { class: "scroll", id: "deliveries" });
  main.append(
    el("div", { class: "toolbar" }, el("strong", {}, "Stats for the"), windowSelect),
    tiles,
    el("section", { class: "panel" }, el("h2", {}, "Open gaps and unmatched payments ", el("span", { class: "sub", id: "problems-count" })),
      resolver ? null : el("p", { class: "sub", id: "read-only" }, "Read-only: resolving needs the support or admin role."), problems),
    el("section", { class: "panel" }, el("h2", {}, "Recent payments"), el("div", { class: "toolbar" }, statusSelect, providerSelect), payments),
    el("section", { class: "panel" }, el("h2", {}, "Webhook deliveries"), deliveries));

  function tile(label, value, kind, hint) {
    return el("div", { class: "tile " + (kind || "") }, el("div", { class: "label" }, label), el("div", { class: "value" }, value),
      hint ? el("div", { class: "hint" }, hint) : null);
  }

  async function loadStats() {
    try {
      const s = await C.api("/api/payments/stats?window=" + windowSelect.value);
      C.clear(tiles).append(
        tile("Payments", s.total), tile("Pending", s.pending), tile("Confirmed", s.completed, "good", "by the provider, not yet credited"),
        tile("Credited", s.credited, "good"), tile("Failed", s.failed, s.failed ? "bad" : ""), tile("Gaps", s.gaps, s.gaps ? "bad" : ""),
        tile("Unmatched", s.unmatched, s.unmatched ? "warn" : ""), tile("Amount confirmed", C.money(s.total_amount)),
        tile("Success rate", s.success_rate == null ? "–" : (s.success_rate * 100).toFixed(1) + " %", "", "confirmed of ended"),
        tile("Median to credit", s.median_minutes_to_credit == null ? "–" : s.median_minutes_to_credit + " min", "", "from confirmation"));
    } catch (e) { C.failed(tiles, e); }
  }

  function trail(p) {
    const stages = Object.entries(p.stages || {}).map(([stage, at]) => stage + " " + C.time(at)).join(" → ");
    const resolutions = (p.resolutions || []).map((r) => "resolved " + C.time(r.at) + " by " + r.by + (r.note ? ": " + r.note : ""));
    return [stages, ...resolutions].filter(Boolean).join(" · ");
  }

  function problemRow(p) {
    if (!resolver) return problemHead(p, null);
    const note = el("input", { type: "text", placeholder: "what was done (required)", maxlength: 1024, "aria-label": "note" });
    const result = el("span", { class: "sub" });
    const form = el("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!note.value.trim()) { result.textContent = "a note is required"; return; }
        form.querySelector("button").disabled = true;
        try {
          await C.api("/api/payments/" + encodeURIComponent(p.reference) + "/resolve", { method: "POST", json: { note: note.value.trim() } });
          result.textContent = "resolved";
          refresh();
        } catch (e) { result.textContent = e.message; form.querySelector("button").disabled = false; }
      },
    }, note, el("button", { type: "submit" }, "Resolve"), result);
    return problemHead(p, form);
  }

  function problemHead(p, form) {
    return el("div", { class: "problem", "data-reference": p.reference },
      el("div", { class: "head" }, C.tag(p.kind, p.kind), el("strong", {}, p.reference), el("span", {}, p.provider),
        el("span", {}, C.money(p.amount, p.currency)), el("span", {}, p.email || p.phone || p.user_id || ""),
        el("span", { class: "sub" }, "since " + C.time(p.gap_since || p.updated_at)),
        story(p.reference, "story")),
      el("div", { class: "trail" }, trail(p)), form);
  }

  async function loadProblems() {
    try {
      const open = await C.api("/api/payments/gaps");
      // A form being typed in stays: only rows that came or went change.
      const shown = new Map([...problems.querySelectorAll(".problem")].map((n) => [n.dataset.reference, n]));
      for (const [reference, node] of shown) if (!open.some((p) => p.reference === reference)) node.remove();
      for (const p of open) if (!shown.has(p.reference)) problems.append(problemRow(p));
      problems.querySelector(".empty")?.remove();
      if (!open.length) problems.append(el("p", { class: "empty" }, "Nothing open: every confirmed payment was credited."));
      document.getElementById("problems-count").textContent = "(" + open.length + ")";
    } catch (e) { C.failed(problems, e); }
  }

  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", { class: h.endsWith("#") ? "num" : null }, h.replace("#", ""))))),
      el("tbody", {}, rows));
  }

  async function loadPayments() {
    const query = new URLSearchParams();
    if (statusSelect.value) query.set("status", statusSelect.value);
    if (providerSelect.value) query.set("provider", providerSelect.value);
    try {
      const list = (await C.api("/api/payments?" + query)).slice(0, 100);
      C.clear(payments).append(table(["Updated", "Reference", "Provider", "Status", "Amount#", "Customer", "Plan"], list.map((p) =>
        el("tr", {}, el("td", {}, C.time(p.updated_at)), el("td", {}, story(p.reference, p.reference) || p.reference),
          el("td", {}, p.provider), el("td", {}, C.tag(p.status), p.kind ? [" ", C.tag(p.kind)] : null),
          el("td", { class: "num" }, C.money(p.amount, p.currency)), el("td", {}, p.email || p.phone || p.user_id || ""), el("td", {}, p.plan || "")))));
      if (!list.length) payments.append(el("p", { class: "empty" }, "no payments match"));
    } catch (e) { C.failed(payments, e); }
  }

  async function loadDeliveries() {
    try {
      const list = await C.api("/api/webhooks/log?limit=50");
      C.clear(deliveries).append(table(["Received", "Provider", "Signature", "Status", "Reference", "Error"], list.map((d) =>
        el("tr", {}, el("td", {}, C.time(d.received_at)), el("td", {}, d.provider),
          el("td", { class: d.signature_valid ? "ok" : "no" }, d.signature_valid ? "✓ valid" : "✗ invalid"),
          el("td", {}, C.tag(d.processing_status)),
          el("td", {}, d.reference ? story(d.reference, d.reference) || d.reference : "—"),
          el("td", {}, d.error_message || "")))));
      if (!list.length) deliveries.append(el("p", { class: "empty" }, "no deliveries yet"));
    } catch (e) { C.failed(deliveries, e); }
  }

  function refresh() { loadStats(); loadProblems(); loadPayments(); loadDeliveries(); }
  const soon = C.debounce(refresh, 300);
  C.live((msg) => { if (msg.type !== "metrics-update" && msg.type !== "metrics-heartbeat") soon(); });
  refresh();
  setInterval(refresh, 10000);  // webhook deliveries and new payments have no room message of their own
})();
