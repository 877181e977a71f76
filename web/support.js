// Support: one search (an email, a phone, a user id, or a payment reference: ours or the
// provider's own id) → one request, GET /api/support/timeline, and from its answer the
// person's balance, their payments (an admin credits a confirmed one no credit took, here),
// and one timeline of that person: sessions and page visits, payment errors, payments with
// every stage, when each became a problem and who closed it how, webhook deliveries, ledger
// transactions with balance_after, activity and alerts, newest first.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/support", "support");
  await C.ready;
  if (!C.requireRole(["support", "admin"], "the support search")) return;
  C.setStatus(true, "signed in");
  const crediter = C.can(["admin"]);  // a credit is money: admins only (the hub checks too)
  const main = document.querySelector("main");
  // The hub finds a person by exactly one kind of key. The kind follows what is typed (an
  // email has an @; a phone starts with + or is digits in groups; anything else is taken
  // for a reference, ours or the provider's) until the operator picks one.
  const KINDS = { reference: "reference", email: "email", phone: "phone", user_id: "user id" };
  const by = el("select", { id: "by", "aria-label": "search by" }, Object.entries(KINDS).map(([value, name]) => el("option", { value }, name)));
  let picked = false;
  by.addEventListener("change", () => { picked = true; });
  const box = el("input", { type: "search", id: "q", placeholder: "email, phone, user id, payment reference or provider id", autofocus: true, "aria-label": "search" });
  box.addEventListener("input", () => { if (!picked) by.value = guess(box.value.trim()); });
  const summary = el("div", { id: "who", class: "sub" });
  const list = el("ul", { class: "timeline", id: "timeline" });
  const balances = el("div", { id: "balance", class: "balances" });
  const paymentList = el("div", { id: "support-payments", class: "scroll cards" });
  const outcome = el("p", { id: "credit-outcome", class: "sub", role: "status", hidden: true });
  const balancePanel = el("section", { class: "panel", id: "balance-panel", hidden: true }, el("h2", {}, "Balance"), balances);
  const paymentPanel = el("section", { class: "panel", id: "payments-panel", hidden: true }, el("h2", {}, "Payments"), outcome, paymentList);
  main.append(el("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); search(by.value, box.value.trim()); } }, by, box, el("button", { type: "submit" }, "Search")),
    balancePanel, paymentPanel,
    el("section", { class: "panel" }, el("h2", {}, "Timeline ", summary), list));

  const param = (name, value) => name + "=" + encodeURIComponent(value);
  let searching = 0;  // the newest search's number: an older one that finishes late draws nothing

  function guess(text) {
    if (text.includes("@")) return "email";
    const digits = text.replace(/\D/g, "").length;
    if (/^\+[\d\s().-]+$/.test(text) && digits >= 6) return "phone";
    if (/^[\d\s().-]+$/.test(text) && /[\s().-]/.test(text) && digits >= 7) return "phone";
    return "reference";
  }

  function showBalances(found) {
    C.clear(balances);
    balancePanel.hidden = !found.length;
    for (const b of found) {
      balances.append(el("div", { class: "balance", "data-user": b.user_id }, el("span", { class: "sub" }, "user "), el("strong", {}, b.user_id), " ",
        el("span", { class: "value", "data-balance": String(b.balance) }, C.money(b.balance), " credits")));
    }
  }

  /// The providers' answers to "Check with provider", kept while the story is read anew.
  const providerAnswers = new Map();

  function showPayments(payments, kind, text) {
    paymentPanel.hidden = !payments.length;
    C.clear(paymentList);
    if (!payments.length) return;
    paymentList.append(C.paymentTable(payments, { credit: crediter, checked: providerAnswers, onChecked: () => search(kind, text, true), onCredited: (p, t) => {
      outcome.hidden = false;
      outcome.className = "ok";
      outcome.textContent = "Credited " + C.money(t.amount) + " to user " + t.user_id + " for " + p.reference
        + (t.balance_after != null ? "; balance after " + C.money(t.balance_after) : "") + ".";
      search(kind, text, true);
    } }));
  }

  /// Each section of the hub's answer as lines of the story: [{at, source, what, kind}].
  function storyOf(t) {
    const rows = [];
    const add = (at, source, what, kind) => rows.push({ at, source, what, kind });
    for (const s of t.sessions) {
      add(s.started_at, "session", ["Session " + s.session_id + " started", s.user_agent, s.ip].filter(Boolean).join(" · "));
      for (const v of s.visits) add(v.entered_at, "page visit", v.page_type + (v.identifier ? " " + v.identifier : "") + (v.url ? " · " + v.url : ""));
      if (s.ended_at) add(s.ended_at, "session", "Session " + s.session_id + " ended");
    }
    for (const e of t.payment_errors) {
      add(e.occurred_at, "payment error", e.error_code + ": " + e.error_message + (e.total_amount ? " · " + C.money(e.total_amount, e.currency) : ""), "critical");
    }
    // When a payment became a problem stays in its story after it is closed: the payment
    // keeps when it became a gap (became_gap_at); otherwise the alert raised then says so.
    const firstAlert = (kind, reference) => t.alerts.filter((a) => a.kind === kind && a.reference === reference)
      .map((a) => a.created_at).sort()[0];
    for (const p of t.payments) {
      const amount = C.money(p.amount, p.currency);
      for (const [stage, at] of Object.entries(p.stages || {})) {
        add(at, "payment", p.reference + " " + stage + " · " + p.provider + " · " + amount
          + ((stage === "webhook_received" || stage === "completed") && p.provider_reference ? " · " + p.provider + " id " + p.provider_reference : "")
          + (stage === "failed" && p.error_message ? " · " + p.error_message : ""),
        stage === "failed" ? "critical" : stage === "credited" ? "good" : null);
      }
      const gapAt = p.became_gap_at || p.gap_since || firstAlert("payment_gap", p.reference);
      if (gapAt) add(gapAt, "payment", p.reference + " became a gap: confirmed by the provider, not credited", "critical");
      const unmatchedAt = p.kind === "unmatched" ? p.created_at : firstAlert("unmatched_payment", p.reference);
      if (unmatchedAt) add(unmatchedAt, "payment", p.reference + " is unmatched: no payment was initialized with it", "warning");
      const mismatchAt = p.mismatch_since || firstAlert("amount_mismatch", p.reference);
      if (mismatchAt) {
        add(mismatchAt, "payment", p.reference + (p.partial ? " was partially paid: " : " amount differs: ") + C.problemWords(Object.assign({}, p, { kind: "amount_mismatch" })).amounts, "warning");
      }
      for (const r of p.resolutions || []) {
        const credit = /^credited /.test(r.note || "");
        add(r.at, credit ? "credit by hand" : "resolution", p.reference + " " + C.resolutionWords(r), credit ? "good" : "warning");
      }
    }
    for (const d of t.webhook_deliveries) {
      add(d.received_at, "webhook", d.provider + " delivery " + d.processing_status + " · signature " + (d.signature_valid ? "✓" : "✗") + (d.reference ? " · " + d.reference : "") + (d.error_message ? " · " + d.error_message : ""),
        d.processing_status === "processed" ? null : "warning");
    }
    for (const c of t.provider_checks || []) {
      add(c.asked_at, "provider", C.checkWords(c), c.outcome === "error" ? "warning" : c.moved ? "critical" : null);
    }
    for (const tr of t.transactions) {
      add(tr.created_at, "ledger", tr.type + " " + C.money(tr.amount) + " · " + (tr.description || tr.reference) + " · balance after " + C.money(tr.balance_after), tr.type === "credit" || tr.type === "refund" ? "good" : null);
    }
    for (const a of t.activity) add(a.created_at, "activity", a.action + " " + a.status + (a.error_message ? " · " + a.error_message : ""), a.status === "failed" ? "critical" : null);
    for (const a of t.alerts) add(a.created_at, "alert", a.title + ": " + a.message, a.severity);
    // Newest first; at the same instant, the order the story happened in (stage, then the
    // problem, then the hand that closed it) read from the bottom up.
    rows.forEach((r, i) => { r.n = i; });
    return rows.sort((a, b) => (b.at || "").localeCompare(a.at || "") || b.n - a.n);
  }

  /// What the answer could not hold or read, said above the timeline, never silently left out.
  function gapsOf(t) {
    const said = [];
    const words = { sessions: "sessions", payment_errors: "payment errors", activity: "activity events", payments: "payments",
      payment_events: "payment events", webhook_deliveries: "webhook deliveries", provider_checks: "provider checks", alerts: "alerts", transactions: "ledger transactions" };
    for (const [section, more] of Object.entries(t.truncated || {})) {
      if (!more) continue;
      said.push(["more than shown", section === "person" ? "This person is known by more emails, phones and user ids than one search follows: the story is of the first."
        : "Only the newest " + t.limit + " " + (words[section] || section) + " are shown."]);
    }
    for (const node of t.unanswered_nodes || []) said.push(["not read", "sessions on node " + node + ": it did not answer in time"]);
    return said;
  }

  /// `again`: the same search after a credit (the outcome line stays).
  async function search(kind, text, again) {
    if (!text) return;
    const mine = ++searching;
    if (!again) { outcome.hidden = true; outcome.textContent = ""; }
    history.replaceState(null, "", "/support?" + param(kind, text));
    if (!again) C.clear(list).append(el("li", { class: "empty" }, "searching…"));
    let t;
    try {
      t = await C.api("/api/support/timeline?" + param(kind, text));
    } catch (e) {
      if (mine !== searching) return;
      C.clear(list).append(el("li", { class: "critical" }, el("span", {}, "not read"), el("span", {}, ""), el("span", { class: "what" }, "/api/support/timeline: " + e.message)));
      summary.textContent = "";
      return;
    }
    if (mine !== searching) return;
    const rows = storyOf(t);
    showBalances(t.balances);
    showPayments(t.payments, kind, text);
    C.clear(list);
    for (const [source, problem] of gapsOf(t)) list.append(el("li", { class: source === "not read" ? "critical" : "warning" }, el("span", {}, source), el("span", {}, ""), el("span", { class: "what" }, problem)));
    for (const r of rows) {
      list.append(el("li", { class: r.kind || "" }, el("span", { class: "time" }, C.time(r.at)), el("span", {}, C.tag(r.source, r.kind === "critical" ? "failed" : r.kind === "warning" ? "warning" : r.kind === "good" ? "credited" : "")),
        el("span", { class: "what" }, r.what)));
    }
    if (!rows.length) {
      // Nothing under this kind of key: the same text may be another kind (a user id looks
      // like a reference); each is one more search, asked for by a click.
      const others = Object.keys(KINDS).filter((k) => k !== kind && (k !== "email" || text.includes("@")) && (k !== "phone" || /\d/.test(text)));
      list.append(el("li", { class: "empty", id: "nothing" }, "Nothing found for " + text + " as " + (kind === "email" ? "an " : "a ") + KINDS[kind] + ".",
        others.length ? [" Search it as ", others.map((k, i) => [i ? " or " : "", el("button", { type: "button", class: "quiet", "data-kind": k, onclick: () => { picked = true; by.value = k; search(k, text); } }, KINDS[k])]), "."] : null));
    }
    const p = t.person;
    summary.textContent = rows.length ? "(" + rows.length + " events · " + [...p.emails, ...p.phones, ...p.user_ids.map((u) => "user " + u)].join(", ") + ")" : "";
  }

  const query = new URLSearchParams(location.search);
  const named = Object.keys(KINDS).find((k) => query.get(k));
  const q = named ? query.get(named) : query.get("q");
  if (q) {
    box.value = q;
    by.value = named || guess(q);
    picked = !!named;
    search(by.value, q);
  } else list.append(el("li", { class: "empty" }, "Search for a customer to see everything the hub knows about them."));
})();
