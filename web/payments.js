// Payments: stats for a window (every currency on its own line: nothing adds two), the open
// problems (gaps, unmatched payments and amounts the provider counts differently) with a
// Resolve button (a note is required, the trail is shown) and, for admins, a Credit form,
// recent payments by status and provider, and the webhook deliveries with their signature
// check. Live: refetched on the seller room's events.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/payments", "payments");
  await C.ready;
  if (!C.requireRole(["seller", "support", "admin"], "the payments page")) return;
  const resolver = C.can(["support", "admin"]);  // a seller sees payments read-only
  const crediter = C.can(["admin"]);             // a credit is money: admins only (the hub checks too)
  // A reference links to its whole story on /support for the roles that may open it.
  const story = (reference, text) => C.can(["support", "admin"]) ? el("a", { href: "/support?reference=" + encodeURIComponent(reference) }, text) : null;
  const main = document.querySelector("main");
  const windows = [["1h", "last hour"], ["24h", "last 24 h"], ["7d", "last 7 days"], ["30d", "last 30 days"]];
  // The one vocabulary the hub's lists and stats use (GET /api/payments?status=).
  const states = ["pending", "initialized", "completed", "webhook_received", "credited", "failed", "resolved"];
  const problemKinds = ["gap", "unmatched", "amount_mismatch"];
  const providers = ["", "paystack", "nowpayments", "stripe", "mpesa"];

  const windowSelect = el("select", { id: "window", "aria-label": "stats window", onchange: () => loadStats() }, windows.map(([v, t]) => el("option", { value: v, selected: v === "24h" }, t)));
  const statusSelect = el("select", { id: "status-filter", "aria-label": "status", onchange: () => loadPayments() },
    el("option", { value: "" }, "any status"),
    el("optgroup", { label: "state" }, states.map((s) => el("option", { value: s }, s))),
    el("optgroup", { label: "open problem" }, problemKinds.map((s) => el("option", { value: s }, s))));
  const providerSelect = el("select", { id: "provider-filter", "aria-label": "provider", onchange: () => loadPayments() }, providers.map((s) => el("option", { value: s }, s || "any provider")));
  const tiles = el("section", { class: "tiles", id: "stats" });
  const problems = el("div", { id: "problems" });
  const problemsNote = el("p", { class: "empty", id: "problems-note", hidden: true });
  problems.append(problemsNote);
  const payments = el("div", { class: "scroll cards", id: "payments" });
  const deliveries = el("div", { class: "scroll", id: "deliveries" });
  main.append(
    el("div", { class: "toolbar" }, el("strong", {}, "Stats for the"), windowSelect),
    tiles,
    el("section", { class: "panel" }, el("h2", {}, "Open problems: gaps, unmatched and amount mismatches ", el("span", { class: "sub", id: "problems-count" })),
      resolver ? null : el("p", { class: "sub", id: "read-only" }, "Read-only: resolving needs the support or admin role."), problems),
    el("section", { class: "panel" }, el("h2", {}, "Recent payments"), el("div", { class: "toolbar" }, statusSelect, providerSelect), payments),
    el("section", { class: "panel" }, el("h2", {}, "Webhook deliveries"), deliveries));

  function tile(label, value, kind, hint, extra) {
    return el("div", { class: "tile " + (kind || "") }, el("div", { class: "label" }, label), el("div", { class: "value" }, value),
      extra || null, hint ? el("div", { class: "hint" }, hint) : null);
  }

  /// The confirmed money: one line per currency, the shop's first (the hub never adds two).
  function amountsTile(s) {
    const totals = Array.isArray(s.totals) && s.totals.length ? s.totals : [{ currency: s.currency, amount: s.total_amount }];
    const first = totals.find((t) => t.currency === s.currency) || { currency: s.currency, amount: s.total_amount };
    const others = totals.filter((t) => t !== first);
    return el("div", { class: "tile money", id: "amounts" }, el("div", { class: "label" }, "Amount confirmed"),
      el("div", { class: "value", "data-currency": first.currency }, C.money(first.amount, first.currency)),
      others.length ? el("ul", { class: "currencies" }, others.map((t) => el("li", { "data-currency": t.currency }, C.money(t.amount, t.currency)))) : null,
      el("div", { class: "hint" }, others.length ? "per currency, never added together" : "in the shop's currency"));
  }

  async function loadStats() {
    try {
      const s = await C.api("/api/payments/stats?window=" + windowSelect.value);
      C.clear(tiles).append(
        tile("Payments", s.total), tile("Pending", s.pending, "", "initialized"),
        tile("Completed", s.completed, "good", "confirmed, not yet credited" + (s.webhook_received ? " (" + s.webhook_received + " by webhook)" : "")),
        tile("Credited", s.credited, "good"), tile("Resolved", s.resolved || 0, s.resolved ? "warn" : "", "closed by hand without a credit"),
        tile("Failed", s.failed, s.failed ? "bad" : ""), tile("Gaps", s.gaps, s.gaps ? "bad" : ""),
        tile("Unmatched", s.unmatched, s.unmatched ? "warn" : ""), tile("Amount mismatch", s.amount_mismatch || 0, s.amount_mismatch ? "warn" : "", "provider's amount differs"),
        amountsTile(s),
        tile("Success rate", s.success_rate == null ? "–" : el("span", { class: "nowrap" }, (s.success_rate * 100).toFixed(1) + " %"), "", "confirmed of ended"),
        tile("Median to credit", s.median_minutes_to_credit == null ? "–" : s.median_minutes_to_credit + " min", "", "from confirmation"));
    } catch (e) { C.failed(tiles, e); }
  }

  function trail(p) {
    const stages = Object.entries(p.stages || {}).map(([stage, at]) => stage + " " + C.time(at)).join(" → ");
    const hands = (p.resolutions || []).map((r) => C.resolutionWords(r) + " " + C.time(r.at));
    return [stages, ...hands].filter(Boolean).join(" · ");
  }

  function problemRow(p) {
    const words = C.problemWords(p);
    const actions = [];
    if (resolver) {
      const note = el("input", { type: "text", placeholder: "what was done (required)", maxlength: 1024, "aria-label": "note" });
      const result = el("span", { class: "sub" });
      const form = el("form", {
        class: "resolve",
        onsubmit: async (event) => {
          event.preventDefault();
          if (!note.value.trim()) { result.textContent = "a note is required"; return; }
          form.querySelector("button").disabled = true;
          try {
            await C.api("/api/payments/resolve", { method: "POST", json: { reference: p.reference, note: note.value.trim() } });
            result.textContent = "resolved";
            refresh();
          } catch (e) { result.textContent = e.message; form.querySelector("button").disabled = false; }
        },
      }, note, el("button", { type: "submit" }, "Resolve"), result);
      actions.push(form);
    }
    let holder = null;
    if (crediter && C.creditable(p)) {
      const [button, form] = C.creditToggle(p, () => refresh());
      actions.push(button);
      holder = form;
    }
    return el("div", { class: "problem " + p.kind, "data-reference": p.reference, "data-kind": p.kind },
      el("div", { class: "head" }, C.tag(p.kind.replace("_", " "), p.kind), el("strong", {}, words.title), el("strong", { class: "ref" }, p.reference),
        el("span", {}, p.provider + (p.provider_reference ? " " + p.provider_reference : "")),
        el("span", { class: "amounts" }, words.amounts), p.email || p.phone || p.user_id ? el("span", {}, p.email || p.phone || p.user_id) : null,
        el("span", { class: "sub" }, "since " + C.time(p.gap_since || p.mismatch_since || p.created_at || p.updated_at)),
        story(p.reference, "story")),
      el("div", { class: "trail" }, trail(p)), actions.length ? el("div", { class: "actions" }, actions) : null, holder);
  }

  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

  /// What is true when nothing is open: every confirmed payment credited, or some still
  /// within the grace, or some closed by hand without a credit (mismatched ones named).
  async function nothingOpenWords() {
    const [waiting, resolved] = await Promise.all([C.api("/api/payments?status=completed"), C.api("/api/payments?status=resolved")]);
    const closedByHand = resolved.filter((p) => C.confirmed(p));
    const mismatched = closedByHand.filter((p) => p.partial || (p.provider_amount != null && p.amount != null
      && (p.provider_amount !== p.amount || (p.provider_currency && p.currency && p.provider_currency !== p.currency))));
    const more = (list) => list.length >= 500 ? "500 or more" : null;
    const parts = ["Nothing open."];
    if (waiting.length) parts.push((more(waiting) || plural(waiting.length, "confirmed payment is", "confirmed payments are")) + " waiting for a credit (not a gap yet).");
    if (closedByHand.length) {
      parts.push((more(closedByHand) || plural(closedByHand.length, "confirmed payment was", "confirmed payments were")) + " resolved by hand without a credit"
        + (mismatched.length ? " (" + mismatched.length + " of them with the provider's amount differing from the shop's)" : "") + ".");
    }
    if (!waiting.length && !closedByHand.length) parts.push("Every confirmed payment was credited.");
    return parts.join(" ");
  }

  async function loadProblems() {
    try {
      const open = await C.api("/api/payments/gaps");
      problems.querySelector(".notice")?.remove();
      // A form being typed in stays: only rows that came, went or changed kind change.
      const shown = new Map([...problems.querySelectorAll(".problem")].map((n) => [n.dataset.reference, n]));
      for (const [reference, node] of shown) if (!open.some((p) => p.reference === reference && p.kind === node.dataset.kind)) { node.remove(); shown.delete(reference); }
      for (const p of open) if (!shown.has(p.reference)) problems.insertBefore(problemRow(p), problemsNote);
      const counts = problemKinds.map((k) => [k, open.filter((p) => p.kind === k).length]).filter(([, n]) => n);
      document.getElementById("problems-count").textContent = "(" + open.length + (counts.length ? ": " + counts.map(([k, n]) => n + " " + (n === 1 ? k.replace("_", " ") : { gap: "gaps", unmatched: "unmatched", amount_mismatch: "amount mismatches" }[k])).join(", ") : "") + ")";
      problemsNote.textContent = open.length ? "" : await nothingOpenWords();
      problemsNote.hidden = open.length > 0;
    } catch (e) {
      C.failed(problems, e);
      problems.append(problemsNote);
    }
  }

  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", { class: h.endsWith("#") ? "num" : null }, h.replace("#", ""))))),
      el("tbody", {}, rows));
  }

  // Payments whose Credit form is open stay open across the refresh (by reference).
  const openCredits = new Set();
  /// The providers' answers to "Check with provider", kept across the list's refreshes.
  const checked = new Map();

  /// `auto`: the ten-second or live refresh, which leaves the list alone while a Credit form
  /// is open in it (what is typed there stays); a filter chosen, or a credit made, reads it anew.
  async function loadPayments(auto) {
    if (auto === true && openCredits.size) return;
    const query = new URLSearchParams();
    if (statusSelect.value) query.set("status", statusSelect.value);
    if (providerSelect.value) query.set("provider", providerSelect.value);
    try {
      const list = (await C.api("/api/payments?" + query)).slice(0, 100);
      C.clear(payments).append(C.paymentTable(list, { link: (reference) => story(reference, reference), plan: true, credit: crediter,
        open: openCredits, onCredited: () => refresh(), checked, onChecked: () => refresh() }));
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

  function refresh(auto) { loadStats(); loadProblems(); loadPayments(auto === true); loadDeliveries(); }
  const soon = C.debounce(() => refresh(true), 300);
  C.live((msg) => { if (msg.type !== "metrics-update" && msg.type !== "metrics-heartbeat") soon(); });
  refresh();
  setInterval(() => refresh(true), 10000);  // webhook deliveries and new payments have no room message of their own
})();
