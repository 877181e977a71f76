// Support: one search (email, phone, user id, our payment reference or the provider's own id)
// → the person's balance, their payments (an admin credits a confirmed one no credit took,
// here), and one timeline of that person: sessions and page visits, payment errors, payments
// with every stage, when each became a problem and who closed it how, webhook deliveries,
// ledger transactions with balance_after, activity and alerts, newest first.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/support", "support");
  await C.ready;
  if (!C.requireRole(["support", "admin"], "the support search")) return;
  C.setStatus(true, "signed in");
  const crediter = C.can(["admin"]);  // a credit is money: admins only (the hub checks too)
  const main = document.querySelector("main");
  const box = el("input", { type: "search", id: "q", placeholder: "email, phone, user id, payment reference or provider id", autofocus: true, "aria-label": "search" });
  const summary = el("div", { id: "who", class: "sub" });
  const list = el("ul", { class: "timeline", id: "timeline" });
  const balances = el("div", { id: "balance", class: "balances" });
  const paymentList = el("div", { id: "support-payments", class: "scroll cards" });
  const outcome = el("p", { id: "credit-outcome", class: "sub", role: "status", hidden: true });
  const balancePanel = el("section", { class: "panel", id: "balance-panel", hidden: true }, el("h2", {}, "Balance"), balances);
  const paymentPanel = el("section", { class: "panel", id: "payments-panel", hidden: true }, el("h2", {}, "Payments"), outcome, paymentList);
  main.append(el("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); search(box.value.trim()); } }, box, el("button", { type: "submit" }, "Search")),
    balancePanel, paymentPanel,
    el("section", { class: "panel" }, el("h2", {}, "Timeline ", summary), list));

  // A source that could not be read is named above the timeline, never silently left out.
  let unread = [];
  const get = (path) => C.api(path).catch((e) => { unread.push(path.split("?")[0] + ": " + e.message); return []; });
  const param = (name, value) => name + "=" + encodeURIComponent(value);
  let searching = 0;  // the newest search's number: an older one that finishes late draws nothing

  function showBalances(found) {
    C.clear(balances);
    balancePanel.hidden = !found.length;
    for (const [user, answer] of found) {
      balances.append(el("div", { class: "balance", "data-user": user }, el("span", { class: "sub" }, "user "), el("strong", {}, user), " ",
        answer && answer.balance != null ? el("span", { class: "value", "data-balance": String(answer.balance) }, C.money(answer.balance), " credits")
          : el("span", { class: "no" }, "could not be read")));
    }
  }

  function showPayments(payments) {
    paymentPanel.hidden = !payments.length;
    C.clear(paymentList);
    if (!payments.length) return;
    paymentList.append(C.paymentTable(payments, { credit: crediter, onCredited: (p, t) => {
      outcome.hidden = false;
      outcome.className = "ok";
      outcome.textContent = "Credited " + C.money(t.amount) + " to user " + t.user_id + " for " + p.reference
        + (t.balance_after != null ? "; balance after " + C.money(t.balance_after) : "") + ".";
      search(box.value.trim(), true);
    } }));
  }

  /// `again`: the same search after a credit (the outcome line stays).
  async function search(text, again) {
    if (!text) return;
    const mine = ++searching;
    if (!again) { outcome.hidden = true; outcome.textContent = ""; }
    history.replaceState(null, "", "/support?" + param("q", text));
    if (!again) C.clear(list).append(el("li", { class: "empty" }, "searching…"));
    unread = [];
    const emails = new Set(), phones = new Set(), users = new Set(), references = new Set();
    // Whatever it is, it may be a payment reference: ours, or the provider's own id (a
    // Paystack id or an M-Pesa receipt is digits, and looks like a phone number).
    references.add(text);
    if (text.includes("@")) emails.add(text.toLowerCase());
    else if (/^\+?[\d\s().-]{6,}$/.test(text)) { phones.add(text); users.add(text); }
    else users.add(text);

    // Payments name the person's other identities: each found one widens the search once.
    const payments = new Map();
    const lookups = [...emails].map((e) => param("email", e)).concat([...phones].map((p) => param("phone", p)),
      [...users].map((u) => param("user_id", u)), [...references].map((r) => param("reference", r)));
    for (const found of await Promise.all(lookups.map((l) => get("/api/payments?" + l)))) for (const p of found) payments.set(p.reference, p);
    const widened = [];
    for (const p of payments.values()) {
      references.add(p.reference);
      if (p.user_id && !users.has(p.user_id)) { users.add(p.user_id); widened.push(param("user_id", p.user_id)); }
      if (p.email && !emails.has(p.email.toLowerCase())) { emails.add(p.email.toLowerCase()); widened.push(param("email", p.email.toLowerCase())); }
      if (p.phone && !phones.has(p.phone)) { phones.add(p.phone); widened.push(param("phone", p.phone)); }
    }
    // The person's other payments (under the user id or email the first ones named), once.
    for (const found of await Promise.all([...new Set(widened)].map((l) => get("/api/payments?" + l)))) {
      for (const p of found) if (!payments.has(p.reference)) { payments.set(p.reference, p); references.add(p.reference); }
    }
    references.forEach((r) => { if (!payments.has(r)) references.delete(r); });
    // The searched text names a person only when something was found under it as one.
    const identities = [...emails].map((e) => param("email", e)).concat([...phones].map((p) => param("phone", p)), [...users].map((u) => param("user_id", u)));
    const [sessionLists, activityLists, transactionLists, deliveryLists, alerts, errors] = await Promise.all([
      Promise.all(identities.map((i) => get("/api/sessions?" + i))),
      Promise.all(identities.filter((i) => !i.startsWith("phone=")).map((i) => get("/api/activity?" + i))),
      Promise.all([...users].map((u) => get("/api/wallet/transactions?limit=500&" + param("user_id", u)))),
      Promise.all([...references].map((r) => get("/api/webhooks/log?limit=100&" + param("reference", r)))),
      get("/api/alerts?limit=1000"),
      get("/api/metrics/payment-errors?limit=500"),
    ]);
    const sessions = new Map();
    sessionLists.flat().forEach((s) => sessions.set(s.session_id, s));
    for (const s of sessions.values()) { if (s.user_id) users.add(s.user_id); if (s.email) emails.add(s.email.toLowerCase()); }

    // Whose balance to show: users the hub knows something about (a payment, a session,
    // activity or a ledger line names them), not every word searched for.
    const known = new Set();
    for (const p of payments.values()) if (p.user_id) known.add(p.user_id);
    for (const s of sessions.values()) if (s.user_id) known.add(s.user_id);
    for (const t of transactionLists.flat()) if (t.user_id) known.add(t.user_id);
    for (const a of activityLists.flat()) if (a.user_id) known.add(a.user_id);
    const balanceAnswers = await Promise.all([...known].map((u) => C.api("/api/wallet/balance?" + param("user_id", u)).then((b) => [u, b], () => [u, null])));
    if (mine !== searching) return;

    const rows = [];
    const add = (at, source, what, kind) => rows.push({ at, source, what, kind });
    for (const s of sessions.values()) {
      add(s.started_at, "session", ["Session " + s.session_id + " started", s.user_agent, s.ip].filter(Boolean).join(" · "));
      for (const v of s.visits) add(v.entered_at, "page visit", v.page_type + (v.identifier ? " " + v.identifier : "") + (v.url ? " · " + v.url : ""));
      if (s.ended_at) add(s.ended_at, "session", "Session " + s.session_id + " ended");
    }
    const sessionIds = new Set(sessions.keys());
    for (const e of errors) {
      if (sessionIds.has(e.session_id) || (e.email && emails.has(e.email.toLowerCase())) || (e.phone && phones.has(e.phone))) {
        add(e.occurred_at, "payment error", e.error_code + ": " + e.error_message + (e.total_amount ? " · " + C.money(e.total_amount, e.currency) : ""), "critical");
      }
    }
    // When a payment became a problem stays in its story after it is closed: the payment
    // keeps when it became a gap (became_gap_at); otherwise the alert raised then says so.
    const firstAlert = (kind, reference) => alerts.filter((a) => a.kind === kind && a.reference === reference)
      .map((a) => a.created_at).sort()[0];
    for (const p of payments.values()) {
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
    for (const d of deliveryLists.flat()) {
      add(d.received_at, "webhook", d.provider + " delivery " + d.processing_status + " · signature " + (d.signature_valid ? "✓" : "✗") + (d.reference ? " · " + d.reference : "") + (d.error_message ? " · " + d.error_message : ""),
        d.processing_status === "processed" ? null : "warning");
    }
    for (const t of transactionLists.flat()) {
      add(t.created_at, "ledger", t.type + " " + C.money(t.amount) + " · " + (t.description || t.reference) + " · balance after " + C.money(t.balance_after), t.type === "credit" || t.type === "refund" ? "good" : null);
    }
    const seen = new Set();
    for (const a of activityLists.flat()) {
      if (seen.has(a.id)) continue;
      seen.add(a.id);
      add(a.created_at, "activity", a.action + " " + a.status + (a.error_message ? " · " + a.error_message : ""), a.status === "failed" ? "critical" : null);
    }
    for (const a of alerts) {
      if ((a.user_id && users.has(a.user_id)) || (a.reference && references.has(a.reference))) add(a.created_at, "alert", a.title + ": " + a.message, a.severity);
    }

    // Newest first; at the same instant, the order the story happened in (stage, then the
    // problem, then the hand that closed it) read from the bottom up.
    rows.forEach((r, i) => { r.n = i; });
    rows.sort((a, b) => (b.at || "").localeCompare(a.at || "") || b.n - a.n);
    showBalances(balanceAnswers);
    showPayments([...payments.values()]);
    C.clear(list);
    for (const problem of unread) list.append(el("li", { class: "critical" }, el("span", {}, "not read"), el("span", {}, ""), el("span", { class: "what" }, problem)));
    for (const r of rows) {
      list.append(el("li", { class: r.kind || "" }, el("span", { class: "time" }, C.time(r.at)), el("span", {}, C.tag(r.source, r.kind === "critical" ? "failed" : r.kind === "warning" ? "warning" : r.kind === "good" ? "credited" : "")),
        el("span", { class: "what" }, r.what)));
    }
    if (!rows.length) list.append(el("li", { class: "empty" }, "Nothing found for " + text + "."));
    summary.textContent = rows.length ? "(" + rows.length + " events · " + [...emails, ...phones, ...[...users].filter((u) => known.has(u) || u !== text).map((u) => "user " + u)].join(", ") + ")" : "";
  }
  const q = new URLSearchParams(location.search).get("q");
  if (q) { box.value = q; search(q); } else list.append(el("li", { class: "empty" }, "Search for a customer to see everything the hub knows about them."));
})();
