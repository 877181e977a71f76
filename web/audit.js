// The audit trail (admins only): sign-ins and failed ones, sign-outs, resolutions, credits,
// erasures, accounts added, disabled or reset, tokens revoked — newest first, a hundred at a
// time, with "Older" for the page before.
(async function () {
  "use strict";
  const C = window.Console, el = C.el;
  C.header("/audit", "audit");
  await C.ready;
  if (!C.requireRole(["admin"], "the audit trail")) return;
  C.setStatus(true, "signed in");
  const main = document.querySelector("main");

  // Actions that deserve a second look stand out; the rest are grey.
  const kinds = { sign_in: "credited", sign_in_failed: "failed", erase: "warning", user_disable: "warning",
    user_reset: "warning", token_revoke: "warning" };
  const body = el("tbody");
  const count = el("span", { class: "sub", id: "audit-count" });
  const problem = el("div", { id: "audit-problem" });
  const older = el("button", { type: "button", class: "quiet", id: "older", hidden: true, onclick: () => load(nextBefore) }, "Older");
  const newest = el("button", { type: "button", class: "quiet", id: "newest", onclick: () => load(null) }, "Newest");
  const columns = ["Time", "Who", "Action", "Target", "Address", "Detail"];
  main.append(el("section", { class: "panel" },
    el("div", { class: "toolbar audit-head" }, el("h2", {}, "Audit trail ", count), newest),
    el("div", { class: "scroll" }, el("table", { id: "audit" }, el("thead", {}, el("tr", {}, columns.map((h) => el("th", {}, h)))), body)),
    problem, el("div", { class: "toolbar more" }, older)));

  const text = (value) => value == null || value === "" ? "—" : String(value);
  function row(e) {
    return el("tr", { "data-id": e.id, "data-action": e.action },
      el("td", { "data-label": "Time", class: "when", title: e.at }, C.time(e.at)),
      el("td", { "data-label": "Who" }, text(e.actor)),
      el("td", { "data-label": "Action" }, C.tag(String(e.action).replace(/_/g, " "), kinds[e.action] || "action")),
      el("td", { "data-label": "Target" }, text(e.target)),
      el("td", { "data-label": "Address" }, text(e.address)),
      el("td", { "data-label": "Detail" }, text(e.detail)));
  }

  let nextBefore = null, shown = 0, loading = false;
  /// A page of entries older than `before` (null: the newest page, which starts the list again).
  async function load(before) {
    if (loading) return;
    loading = true;
    older.disabled = newest.disabled = true;
    try {
      const page = await C.api("/api/audit?limit=100" + (before == null ? "" : "&before=" + encodeURIComponent(before)));
      if (before == null) { C.clear(body); shown = 0; }
      body.append(...page.entries.map(row));
      shown += page.entries.length;
      nextBefore = page.next_before == null ? null : page.next_before;
      older.hidden = nextBefore == null;
      C.clear(problem);
      count.textContent = nextBefore == null ? "(" + shown + (shown === 1 ? " entry)" : " entries)") : "(newest " + shown + " shown; Older for more)";
      if (!shown) body.append(el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, "Nothing recorded yet.")));
    } catch (e) {
      C.failed(problem, e);
    } finally {
      loading = false;
      older.disabled = newest.disabled = false;
    }
  }
  load(null);
})();
