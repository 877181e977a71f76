// The wallet monitor: for a window, totals by type, credits added, spent, refunds, unique
// users and the newest transactions (refreshed every few seconds), and one user's history
// with balance_after and the notifications they were sent.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/wallet", "wallet monitor");
  await C.ready;
  if (!C.requireRole(["support", "admin"], "the wallet monitor")) return;
  C.setStatus(true, "signed in");
  const main = document.querySelector("main");
  const windows = [[60, "last hour"], [1440, "last 24 h"], [10080, "last 7 days"]];
  const windowSelect = el("select", { id: "window", onchange: () => loadMonitor() }, windows.map(([v, t]) => el("option", { value: v }, t)));
  const tiles = el("section", { class: "tiles", id: "totals" });
  const recent = el("div", { class: "scroll", id: "recent" });
  const userBox = el("input", { type: "search", id: "user", placeholder: "user id" });
  const userResult = el("div", { id: "user-history" });
  main.append(el("div", { class: "toolbar" }, el("strong", {}, "Transactions in the"), windowSelect), tiles,
    el("section", { class: "panel" }, el("h2", {}, "Newest transactions"), recent),
    el("section", { class: "panel" }, el("h2", {}, "One user's history"),
      el("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); loadUser(userBox.value.trim()); } }, userBox, el("button", { type: "submit" }, "Show")),
      userResult));

  function tile(label, value, kind) {
    return el("div", { class: "tile " + (kind || "") }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
  }

  function table(list, withUser) {
    return el("table", {}, el("thead", {}, el("tr", {}, ["Time", withUser ? "User" : null, "Type", "Amount", "Balance after", "Description", "Reference"]
      .filter(Boolean).map((h) => el("th", { class: h === "Amount" || h === "Balance after" ? "num" : null }, h)))),
      el("tbody", {}, list.map((t) => el("tr", {}, el("td", {}, C.time(t.created_at)),
        withUser ? el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); userBox.value = t.user_id; loadUser(t.user_id); } }, t.user_id)) : null,
        el("td", {}, C.tag(t.type, t.type === "credit" || t.type === "refund" ? "credited" : "")),
        el("td", { class: "num" }, (t.type === "credit" || t.type === "refund" ? "+" : "−") + C.money(t.amount)),
        el("td", { class: "num " + (Number(t.balance_after) < 0 ? "no" : "") }, C.money(t.balance_after)),
        el("td", {}, t.description || ""), el("td", {}, t.reference)))));
  }

  async function loadMonitor() {
    try {
      const m = await C.api("/api/admin/transactions/monitor?minutes=" + windowSelect.value);
      const counts = m.counts_by_type || {};
      C.clear(tiles).append(tile("Transactions", m.transaction_count), tile("Credits added", C.money(m.total_added), "good"),
        tile("Spent", C.money(m.total_spent)), tile("Refunded", C.money(m.total_refunded)), tile("Unique users", m.unique_users),
        ...Object.entries(counts).map(([type, n]) => tile(type.replace("_", " "), n)));
      C.clear(recent).append(table(m.recent.slice(0, 50), true));
      if (!m.recent.length) recent.append(el("p", { class: "empty" }, "no transactions in this window"));
    } catch (e) { C.failed(tiles, e); }
  }

  /// The user's notifications as they saw them: when, kind, the words, whether it was
  /// pushed, read or archived, and what became of its email.
  function notificationTable(list) {
    return el("table", { class: "notifications" }, el("thead", {}, el("tr", {}, ["Time", "Kind", "Notification", "Status", "Pushed", "Email"].map((h) => el("th", {}, h)))),
      el("tbody", {}, list.map((n) => el("tr", { "data-id": String(n.id), "data-status": n.status },
        el("td", {}, C.time(n.created_at)), el("td", {}, C.tag(n.kind.replace(/_/g, " "))),
        el("td", {}, el("strong", {}, n.title), el("div", { class: "sub" }, n.message)),
        el("td", {}, C.tag(n.status, n.status === "unseen" ? "pending" : "")), el("td", {}, n.pushed ? "yes" : "no"),
        el("td", {}, n.email || "—")))));
  }

  async function loadUser(user) {
    if (!user) return;
    try {
      const [balance, list, notes] = await Promise.all([C.api("/api/wallet/balance?user_id=" + encodeURIComponent(user)),
        C.api("/api/wallet/transactions?limit=200&user_id=" + encodeURIComponent(user)),
        C.api("/api/notifications?limit=50&user_id=" + encodeURIComponent(user))]);
      C.clear(userResult).append(el("p", {}, "Balance of ", el("strong", {}, user), ": ", el("strong", { id: "user-balance" }, C.money(balance.balance)),
        " · ", el("a", { href: "/support?user_id=" + encodeURIComponent(user) }, "whole story")), table(list, false));
      if (!list.length) userResult.append(el("p", { class: "empty" }, "no transactions for this user"));
      userResult.append(el("h3", {}, "Notifications ", el("span", { class: "sub", id: "user-unseen" }, notes.unseen + " unseen")),
        notes.notifications.length ? notificationTable(notes.notifications) : el("p", { class: "empty" }, "no notifications for this user"));
    } catch (e) { C.failed(userResult, e); }
  }

  loadMonitor();
  setInterval(loadMonitor, 5000);
})();
