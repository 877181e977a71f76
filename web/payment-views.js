// How /payments, /support and the dashboard show payments the same way: the words for a
// state and an open problem, the mark of a hand that closed one, the payments table (cards on
// a phone) and an admin's Credit form. Loaded after console.js; adds to `Console`.
(function (C) {
  "use strict";
  const { el, money, amountText, time, tag, api } = C;

  /// The provider confirmed the money (whatever happened after: credited, resolved, …).
  function confirmed(p) { return !!(p.stages && (p.stages.completed || p.stages.webhook_received)); }

  /// Money the provider confirmed that no credit took: an admin may credit it by hand.
  function creditable(p) {
    if (p.status === "credited" || p.stage === "credited" || p.stage === "failed" || p.status === "failed") return false;
    return p.kind === "gap" || p.status === "completed" || p.status === "webhook_received" || (p.status === "resolved" && confirmed(p));
  }

  /// A credit by hand is a trail entry of kind "credited" (its note: "credited X to user U: note").
  const isCreditNote = (r) => r.kind === "credited";

  /// The trail of hand actions as words: "resolved by ada: note", "credited 5000.00 to user u by ada: note".
  function resolutionWords(r) {
    if (isCreditNote(r)) {
      const colon = r.note.indexOf(": ");
      return colon < 0 ? r.note + " by " + r.by : r.note.slice(0, colon) + " by " + r.by + r.note.slice(colon);
    }
    return "resolved by " + r.by + (r.note ? ": " + r.note : " (no note)");
  }

  /// The mark a payment closed by hand carries in a list: who and the note (the last hand
  /// action), or nothing for one nobody touched.
  function resolvedMark(p) {
    const trail = p.resolutions || [];
    if (!trail.length) return null;
    const last = trail[trail.length - 1];
    const credit = isCreditNote(last);
    return el("div", { class: "mark " + (credit ? "credited" : "resolved"), title: time(last.at) }, resolutionWords(last),
      trail.length > 1 ? " (the last of " + trail.length + " hand actions)" : "");
  }

  /// What an open problem is, in words, and its amounts: the shop's and, when they differ,
  /// the provider's.
  function problemWords(p) {
    const title = p.kind === "unmatched" ? "Payment we cannot place" : p.kind === "amount_mismatch"
      ? (p.partial ? "Partially paid" : "Amount differs from the provider's") : p.kind === "gap" ? "Confirmed, not credited" : "Payment";
    const shop = p.amount != null ? money(p.amount, p.currency) : null;
    const provider = p.provider_amount != null ? money(p.provider_amount, p.provider_currency || p.currency) : null;
    const differs = p.kind === "amount_mismatch" || p.partial || (provider && shop && provider !== shop);
    const amounts = differs ? ["shop " + (shop || "no amount"), "provider " + (provider || "no amount")].join(" · ") + (p.partial ? " · partially paid" : "")
      : (shop || provider || "");
    return { title, amounts };
  }

  /// An admin's Credit form for a confirmed payment no credit took: the amount (the payment's
  /// own, editable; to be chosen when the provider's differs), the user (the payment's, or
  /// typed when it names none) and a note. It POSTs /api/payments/credit and says what the
  /// hub answered; `onDone(transaction)` after a credit.
  function creditForm(p, onDone) {
    const mismatch = p.kind === "amount_mismatch" || !!p.amount_mismatch;
    const words = problemWords(p);
    const prefill = mismatch ? "" : amountText(p.amount != null ? p.amount : p.provider_amount, p.amount != null ? p.currency : p.provider_currency);
    const amount = el("input", { type: "text", inputmode: "decimal", name: "amount", class: "amount", value: prefill, required: mismatch,
      "aria-label": "amount to credit", placeholder: mismatch ? "required" : "amount", autocomplete: "off" });
    const user = el("input", { type: "text", name: "user_id", class: "user", value: p.user_id || "", readonly: !!p.user_id, required: !p.user_id,
      "aria-label": "user to credit", placeholder: "user id (required)", autocomplete: "off", maxlength: 128 });
    const note = el("input", { type: "text", name: "note", class: "note", maxlength: 1024, "aria-label": "credit note", placeholder: "note (what was checked)" });
    const result = el("div", { class: "result", role: "status" });
    const submit = el("button", { type: "submit" }, "Credit");
    const form = el("form", { class: "credit", "data-reference": p.reference, onsubmit: async (event) => {
      event.preventDefault();
      result.className = "result";
      const typed = amount.value.trim(), who = user.value.trim();
      if (mismatch && !typed) { result.textContent = "The provider's amount differs from the shop's: type the amount to credit."; result.classList.add("no"); return; }
      if (!who) { result.textContent = "The payment names no user: type the user to credit."; result.classList.add("no"); return; }
      const body = { reference: p.reference };
      if (!p.user_id) body.user_id = who;
      if (mismatch || (typed && typed !== prefill)) body.amount = typed;
      if (note.value.trim()) body.note = note.value.trim();
      submit.disabled = true;
      result.textContent = "crediting…";
      try {
        const answer = await api("/api/payments/credit", { method: "POST", json: body, withStatus: true });
        const t = answer.body || {};
        result.classList.add("ok");
        result.textContent = (answer.status === 201 ? "Credited " : "Already credited by this request: ") + money(t.amount) + " to user " + t.user_id
          + (t.balance_after != null ? "; balance after " + money(t.balance_after) : "") + (t.id != null ? " (transaction " + t.id + ")" : "") + ".";
        if (onDone) onDone(t);
      } catch (e) {
        result.classList.add("no");
        result.textContent = (e.status === 409 ? "Not credited: " : "Failed: ") + e.message;
        submit.disabled = false;
      }
    } },
    el("div", { class: "credit-what sub" }, "Credit " + p.reference + (words.amounts ? " (" + words.amounts + ")" : "") + " to "
      + (p.user_id ? "user " + p.user_id + "'s" : "the user's") + " balance: the amount below, in credits."),
    el("label", {}, el("span", {}, "Amount"), amount), el("label", {}, el("span", {}, "User"), user),
    el("label", { class: "wide" }, el("span", {}, "Note"), note), submit, result);
    return form;
  }

  /// A "Credit…" button that opens `creditForm` in `holder` (admins only: the caller checks):
  /// [button, holder]. `shown`, when given, is what is hidden and shown instead of the holder
  /// (a table row of its own, say, holding the holder).
  function creditToggle(p, onDone, shown) {
    const holder = el("div", { class: "credit-holder" });
    const target = () => shown || holder;
    holder.hidden = !shown;
    const button = el("button", { type: "button", class: "quiet credit-open", "aria-expanded": "false", "aria-label": "Credit " + p.reference, onclick: () => {
      const open = target().hidden;
      if (open && !holder.firstChild) holder.append(creditForm(p, onDone));
      target().hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) holder.querySelector("input:not([readonly])")?.focus();
    } }, "Credit…");
    return [button, holder];
  }

  /// The provider's answer as words: "paystack says paid: 5000.00 NGN (its id 3001), 12:04:05 — marked paid".
  function checkWords(c) {
    const amount = c.amount != null ? " " + money(c.amount, c.currency) : "";
    const theirs = c.provider_reference ? " (its id " + c.provider_reference + ")" : "";
    const said = c.outcome === "error" ? "could not be asked: " + (c.detail || "no answer")
      : "says " + c.outcome.replace("_", " ") + (c.partial ? " (partially paid)" : "") + amount + theirs + (c.detail ? ": " + c.detail : "");
    return c.provider + " " + said + ", " + time(c.asked_at) + (c.moved ? " — payment marked " + c.moved : " — nothing changed");
  }

  /// An admin's "Check with provider" button: POST /api/payments/check, the answer shown in
  /// `result` (a status line) and kept in `kept` (a Map by reference, so a list drawn anew
  /// shows it still), `onMoved(payment)` when it changed the payment.
  function checkButton(p, result, onMoved, kept) {
    const button = el("button", { type: "button", class: "quiet check-provider", "aria-label": "Check " + p.reference + " with " + p.provider, onclick: async () => {
      button.disabled = true;
      result.hidden = false;
      result.className = "check-result result";
      result.textContent = "asking " + p.provider + "…";
      try {
        const answer = await api("/api/payments/check", { method: "POST", json: { reference: p.reference } });
        result.classList.add(answer.check.outcome === "error" ? "no" : "ok");
        result.textContent = checkWords(answer.check);
        if (kept) kept.set(p.reference, { text: result.textContent, ok: answer.check.outcome !== "error" });
        if (answer.check.moved && onMoved) onMoved(answer.payment);
      } catch (e) {
        result.classList.add("no");
        result.textContent = "Not asked: " + e.message;
      }
      button.disabled = false;
    } }, "Check with provider");
    return button;
  }

  /// A list of payments as a table (cards on a phone, each cell headed by its label): when,
  /// our reference (`link(reference)`: a link, or null for the text) and the provider's own
  /// id, provider, state with the open problem and the hand that closed it, the shop's amount
  /// (and the provider's when it differs), the customer, the plan (`plan`), and an admin's
  /// Credit action (`credit`) in a row of its own below (`onCredited(p, transaction)`;
  /// `open`: the references whose form starts open, kept up to date as they open and close).
  function paymentTable(list, options) {
    const o = options || {};
    const columns = ["Updated", "Reference", "Provider", "Status", "Amount", "Customer", ...(o.plan ? ["Plan"] : []), ...(o.credit ? ["Action"] : [])];
    // One box per cell (on a phone the cell is a grid: its label, then this).
    const cell = (label, attrs, ...children) => el("td", Object.assign({ "data-label": label }, attrs), el("div", { class: "cell" }, ...children));
    const rows = list.map((p) => {
      let creditRow = null, credit = null;
      if (o.credit && creditable(p)) {
        creditRow = el("tr", { class: "credit-row", hidden: true });
        credit = creditToggle(p, (t) => { if (o.open) o.open.delete(p.reference); if (o.onCredited) o.onCredited(p, t); }, creditRow);
        creditRow.append(el("td", { colspan: columns.length }, credit[1]));
        credit[0].addEventListener("click", () => { if (o.open) { if (creditRow.hidden) o.open.delete(p.reference); else o.open.add(p.reference); } });
      }
      let check = null, checkRow = null;
      if (o.credit) {
        const result = el("div", { class: "check-result result", role: "status", hidden: true });
        checkRow = el("tr", { class: "check-row" }, el("td", { colspan: columns.length }, result));
        check = checkButton(p, result, o.onChecked, o.checked);
        const kept = o.checked && o.checked.get(p.reference);
        if (kept) { result.hidden = false; result.classList.add(kept.ok ? "ok" : "no"); result.textContent = kept.text; }
      }
      const provider = p.provider_amount != null ? money(p.provider_amount, p.provider_currency || p.currency) : null;
      const differs = provider && (p.amount_mismatch || p.partial || provider !== money(p.amount, p.currency));
      const row = el("tr", { class: "payment", "data-reference": p.reference, "data-status": p.status },
        cell("Updated", { class: "time" }, time(p.updated_at)),
        cell("Reference", { class: "reference" }, (o.link && o.link(p.reference)) || p.reference,
          p.provider_reference ? el("div", { class: "sub provider-ref", title: p.provider + "'s own id for it" }, p.provider + " " + p.provider_reference) : null),
        cell("Provider", { class: "provider" }, p.provider),
        cell("Status", { class: "state" }, tag(p.status), p.kind ? [" ", tag(p.kind.replace("_", " "), p.kind)] : null,
          p.partial ? [" ", tag("partially paid", "partial")] : null, resolvedMark(p)),
        cell("Amount", { class: "num amount" }, money(p.amount, p.currency),
          differs ? el("div", { class: "sub" }, "provider " + provider) : null),
        cell("Customer", { class: "customer" }, [p.user_id && "user " + p.user_id, p.email, p.phone].filter(Boolean).join(" · ")),
        o.plan ? cell("Plan", { class: "plan" }, p.plan || "") : null,
        o.credit ? cell("", { class: "actions" }, credit ? credit[0] : null, check) : null);
      if (credit && o.open && o.open.has(p.reference)) credit[0].click();
      return [row, checkRow, creditRow];
    });
    return el("table", { class: "payments" }, el("thead", {}, el("tr", {}, columns.map((h) => el("th", { class: h === "Amount" ? "num" : null }, h)))),
      el("tbody", {}, rows));
  }

  Object.assign(C, { creditForm, creditToggle, checkButton, checkWords, paymentTable, confirmed, creditable, resolvedMark, resolutionWords, problemWords });
})(window.Console);
