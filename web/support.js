// Support: one search (email, phone, user id or payment reference) → one timeline of that
// person: sessions and page visits, payment errors, payments with every stage, webhook
// deliveries, ledger transactions with balance_after, activity and alerts, newest first.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/support", "support");
  await C.ready;
  if (!C.requireRole(["support", "admin"], "the support search")) return;
  C.setStatus(true, "signed in");
  const main = document.querySelector("main");
  const box = el("input", { type: "search", id: "q", placeholder: "email, phone, user id or payment reference", autofocus: true });
  const summary = el("div", { id: "who", class: "sub" });
  const list = el("ul", { class: "timeline", id: "timeline" });
  main.append(el("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); search(box.value.trim()); } }, box, el("button", { type: "submit" }, "Search")),
    el("section", { class: "panel" }, el("h2", {}, "Timeline ", summary), list));


  // A source that could not be read is named above the timeline, never silently left out.
  let unread = [];
  const get = (path) => C.api(path).catch((e) => { unread.push(path.split("?")[0] + ": " + e.message); return []; });
  const param = (name, value) => name + "=" + encodeURIComponent(value);

  async function search(text) {
    if (!text) return;
    history.replaceState(null, "", "/support?" + param("q", text));
    C.clear(list).append(el("li", { class: "empty" }, "searching…"));
    unread = [];
    const emails = new Set(), phones = new Set(), users = new Set(), references = new Set();
    if (text.includes("@")) emails.add(text.toLowerCase());
    else if (/^\+?[\d\s().-]{6,}$/.test(text)) phones.add(text);
    else { users.add(text); references.add(text); }

    // Payments name the person's other identities: each found one widens the search once.
    const payments = new Map();
    const lookups = [...emails].map((e) => param("email", e)).concat([...phones].map((p) => param("phone", p)),
      [...users].map((u) => param("user_id", u)), [...references].map((r) => param("reference", r)));
    for (const list of await Promise.all(lookups.map((l) => get("/api/payments?" + l)))) for (const p of list) payments.set(p.reference, p);
    for (const p of payments.values()) {
      references.add(p.reference);
      if (p.user_id) users.add(p.user_id);
      if (p.email) emails.add(p.email.toLowerCase());
      if (p.phone) phones.add(p.phone);
    }
    references.forEach((r) => { if (!payments.has(r)) references.delete(r); });
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
        add(e.occurred_at, "payment error", e.error_code + ": " + e.error_message + (e.total_amount ? " · " + C.money(e.total_amount) : ""), "critical");
      }
    }
    for (const p of payments.values()) {
      for (const [stage, at] of Object.entries(p.stages || {})) {
        add(at, "payment", p.reference + " " + stage + " · " + p.provider + " · " + C.money(p.amount, p.currency) + (stage === "failed" && p.error_message ? " · " + p.error_message : ""),
          stage === "failed" ? "critical" : stage === "credited" ? "good" : null);
      }
      if (p.gap_since) add(p.gap_since, "payment", p.reference + " became a gap: confirmed by the provider, not credited", "critical");
      if (p.kind === "unmatched") add(p.created_at, "payment", p.reference + " is unmatched: no payment was initialized with it", "warning");
      for (const r of p.resolutions || []) add(r.at, "resolution", p.reference + " resolved by " + r.by + (r.note ? ": " + r.note : ""), "good");
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

    rows.sort((a, b) => (b.at || "").localeCompare(a.at || ""));
    C.clear(list);
    for (const problem of unread) list.append(el("li", { class: "critical" }, el("span", {}, "not read"), el("span", {}, ""), el("span", { class: "what" }, problem)));
    for (const r of rows) {
      list.append(el("li", { class: r.kind || "" }, el("span", { class: "time" }, C.time(r.at)), el("span", {}, C.tag(r.source, r.kind === "critical" ? "failed" : r.kind === "warning" ? "warning" : r.kind === "good" ? "credited" : "")),
        el("span", { class: "what" }, r.what)));
    }
    if (!rows.length) list.append(el("li", { class: "empty" }, "Nothing found for " + text + "."));
    summary.textContent = rows.length ? "(" + rows.length + " events · " + [...emails, ...phones, ...[...users].map((u) => "user " + u)].join(", ") + ")" : "";
  }
  const q = new URLSearchParams(location.search).get("q");
  if (q) { box.value = q; search(q); } else list.append(el("li", { class: "empty" }, "Search for a customer to see everything the hub knows about them."));
})();
