// The seller dashboard: the state and live updates over /ws/seller, the chart and the day's
// figures from the hub's own history and payment stats, so a reload loses nothing.
(async function () {
  "use strict";
  const C = window.Console, el = C.el, $ = (id) => document.getElementById(id);
  C.header("/", "live store");
  await C.ready;
  if (!C.requireRole(["seller", "support", "admin"], "the live dashboard")) return;

  let points = [];           // the hub's per-minute history, oldest first
  let span = Number(localStorage.getItem("livehub_span")) || 60;
  let lastTotal = null;
  const errors = [];
  const gaps = new Map();    // reference → payment, while open
  const notices = new Map(); // alert id → alert

  function bars(node, map) {
    C.clear(node);
    const entries = Object.entries(map || {}).sort((a, b) => b[1] - a[1]);
    if (!entries.length) node.append(el("li", { class: "empty" }, "nobody right now"));
    for (const [name, count] of entries) node.append(el("li", {}, el("span", {}, name), el("strong", {}, count)));
  }

  function showMetrics(m) {
    $("tile-homepage").textContent = m.homepage;
    $("tile-checkout").textContent = m.checkout;
    $("tile-payment").textContent = m.payment;
    $("tile-payment-errors").textContent = m.payment_errors;
    $("tile-total").textContent = m.total_active;
    // Every page type a shop sends shows somewhere: those without a tile or a list of their
    // own (product pages, a thank-you page, the shop's own names) are "other pages".
    const placed = new Set(["homepage", "checkout", "payment", "payment_error", "category", "offer"]);
    const others = Object.entries(m.pages || {}).filter(([name]) => !placed.has(name)).sort((a, b) => b[1] - a[1]);
    $("tile-other").textContent = others.reduce((sum, [, count]) => sum + count, 0);
    $("tile-other-hint").textContent = others.slice(0, 3).map(([name, count]) => name + " " + count).join(", ");
    bars($("list-categories"), m.categories);
    bars($("list-offers"), m.offers);
    lastTotal = m.total_active;
    drawChart();
  }

  function heard() { $("updated-at").textContent = "at " + new Date().toLocaleTimeString(); }

  // --- the chart, from GET /api/metrics/history -------------------------------------------
  async function loadHistory() {
    try {
      points = await C.api("/api/metrics/history?minutes=1440");
    } catch (e) { return; }
    const hour = points.slice(-60).reduce((n, p) => n + p.payment_errors, 0);
    $("tile-errors-hour").textContent = hour;
    const midnight = new Date(); midnight.setHours(0, 0, 0, 0);
    const today = points.filter((p) => new Date(p.minute) >= midnight);
    const started = today.reduce((n, p) => n + p.sessions_started, 0), paid = today.reduce((n, p) => n + p.paid, 0);
    $("tile-conversion").textContent = started ? (100 * paid / started).toFixed(1) + " %" : "–";
    $("tile-conversion-hint").textContent = paid + " paid of " + started + " sessions";
    drawChart();
  }

  function drawChart() {
    const canvas = $("chart"), ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w) return;
    canvas.width = w * ratio; canvas.height = h * ratio;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    // The span chosen, or less when the hub has known less (at least ten minutes): the line
    // fills the chart with what there is rather than hugging its right edge.
    const now = Date.now(), known = points.length ? new Date(points[0].minute).getTime() : now;
    const from = Math.max(now - span * 60000, Math.min(known, now - 10 * 60000));
    const shown = points.filter((p) => new Date(p.minute).getTime() > from - 60000).map((p) => [Math.max(from, new Date(p.minute).getTime()), p.total_active]);
    if (shown.length && lastTotal != null) shown[shown.length - 1][1] = lastTotal;
    const max = Math.max(4, ...shown.map((s) => s[1]));
    const top = Math.ceil(max / 4) * 4;
    const left = 36, right = 8, bottom = 22, topPad = 8;
    const x = (t) => left + ((t - from) / (now - from)) * (w - left - right);
    const y = (v) => h - bottom - (v / top) * (h - bottom - topPad);
    ctx.font = "11px system-ui"; ctx.fillStyle = "#8d98ad"; ctx.strokeStyle = "#243049"; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {  // the value axis: 0, a quarter … the top
      const v = (top / 4) * i;
      ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(w - right, y(v)); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(String(v), left - 6, y(v) + 4);
    }
    const shownMinutes = (now - from) / 60000;
    // Minutes between time labels: the smallest round step that leaves 80 px for each.
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360].find((m) => (w - left - right) * m / shownMinutes >= 80) || 720;
    ctx.textAlign = "center";
    const first = Math.ceil(from / (step * 60000)) * step * 60000;
    for (let t = first; t <= now; t += step * 60000) {
      ctx.fillText(new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), x(t), h - 6);
    }
    if (!shown.length) return;
    ctx.strokeStyle = "#4fd1a5"; ctx.lineWidth = 2; ctx.beginPath();
    shown.forEach(([t, v], i) => { if (i === 0) ctx.moveTo(x(t), y(v)); else ctx.lineTo(x(t), y(v)); });
    ctx.lineTo(x(now), y(shown[shown.length - 1][1]));
    ctx.stroke();
    ctx.fillStyle = "#4fd1a5"; ctx.beginPath();  // now, even when the minute has only just begun
    ctx.arc(x(now) - 3, y(shown[shown.length - 1][1]), 4, 0, 2 * Math.PI); ctx.fill();
    const minutes = Math.round((now - from) / 60000);
    const since = known > from ? "; the hub has counted since " + new Date(known).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
    $("chart-caption").textContent = "(last " + (minutes >= 60 ? Math.round(minutes / 60) + " h" : minutes + " min") + ", per minute; now " + shown[shown.length - 1][1] + since + ")";
  }

  for (const button of document.querySelectorAll("[data-span]")) {
    button.addEventListener("click", () => { span = Number(button.dataset.span); localStorage.setItem("livehub_span", span); drawChart(); });
  }
  window.addEventListener("resize", drawChart);

  // --- today's sales, from GET /api/payments/stats -----------------------------------------
  // Revenue per currency: the shop's own big, every other currency on the hint line beside
  // it (the hub never adds two currencies, nor does this page).
  let today = null;  // the day's stats, for the open problems' wording
  async function loadSales() {
    const midnight = new Date(); midnight.setHours(0, 0, 0, 0);
    const minutes = Math.max(1, Math.ceil((Date.now() - midnight) / 60000));
    try {
      const s = today = await C.api("/api/payments/stats?window=" + minutes + "m");
      $("tile-paid-today").textContent = s.completed + s.credited;
      $("tile-paid-hint").textContent = [s.credited + " credited", s.completed ? s.completed + " awaiting a credit" : null,
        s.resolved ? s.resolved + " resolved by hand without a credit" : null].filter(Boolean).join(" · ");
      const totals = Array.isArray(s.totals) ? s.totals : [];
      const own = totals.find((t) => t.currency === s.currency) || { currency: s.currency, amount: s.total_amount };
      $("tile-revenue").textContent = C.money(own.amount, own.currency);
      const others = totals.filter((t) => t.currency !== own.currency);
      C.clear($("tile-revenue-others")).append(...others.flatMap((t, i) => [...(i ? [" · "] : []), el("span", { class: "currency", "data-currency": t.currency }, C.money(t.amount, t.currency))]));
      $("tile-revenue-others").hidden = !others.length;
      $("tile-revenue-hint").textContent = "confirmed by the provider since midnight" + (others.length ? ", per currency" : "");
      showGaps();
    } catch (e) { $("tile-revenue-hint").textContent = e.message; }
  }

  // --- payment errors ----------------------------------------------------------------------
  function itemsText(items) {
    if (!Array.isArray(items)) return items == null ? "" : JSON.stringify(items);
    return items.map((i) => (i && (i.name || i.sku || i.id)) ? (i.name || i.sku || i.id) + (i.qty ? " ×" + i.qty : "") : JSON.stringify(i)).join(", ");
  }
  function browser(ua) {
    if (!ua) return "";
    const m = ua.match(/(Firefox|Edg|Chrome|Safari)\/[\d.]+/);
    return m ? m[0].replace("Edg", "Edge") : ua.slice(0, 40);
  }
  // A row opens onto its details (error_details key by key, the kept IP, the browser, the
  // session), all as text. Which rows are open is kept by session and time, so the live
  // refresh of the list, which rebuilds it, leaves them open (and the focused button focused).
  const expanded = new Set();
  const errorKey = (e) => e.session_id + "\n" + e.occurred_at;
  function detailText(v) {
    if (v == null) return "—";
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  function detailEntries(e) {
    const d = e.error_details, entries = [];
    if (d && typeof d === "object" && !Array.isArray(d)) {
      for (const [k, v] of Object.entries(d)) entries.push([k, detailText(v)]);
    } else if (d != null) entries.push(["details", detailText(d)]);
    if (!entries.length) entries.push(["details", "none sent"]);
    return entries;
  }
  function detailsPanel(e, id) {
    const list = (rows) => el("dl", {}, rows.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))));
    return el("div", { class: "error-details", id: id + "-panel" },
      el("section", { class: "sent" }, el("h3", {}, "Sent by the store"), list(detailEntries(e))),
      el("section", { class: "client" }, el("h3", {}, "Client"), list([
        ["IP (as kept)", e.ip || "not kept"], ["User agent", e.user_agent || "—"], ["Session", e.session_id || "—"]])));
  }
  let renders = 0;
  function showErrors() {
    const body = document.querySelector("#errors tbody");
    const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    C.clear(body);
    renders++;
    errors.slice(0, 100).forEach((e, i) => {
      const key = errorKey(e), open = expanded.has(key), id = "error-" + renders + "-" + i;
      const details = el("tr", { class: "details-row", id, hidden: !open }, el("td", { colspan: 9 }, detailsPanel(e, id)));
      const toggle = el("button", { type: "button", class: "quiet toggle", "aria-expanded": String(open), "aria-controls": id,
        "aria-label": "Details of " + e.error_code + " at " + C.time(e.occurred_at) }, "Details");
      toggle.dataset.key = key;
      toggle.addEventListener("click", () => {
        const now = !expanded.has(key);
        if (now) expanded.add(key); else expanded.delete(key);
        toggle.setAttribute("aria-expanded", String(now));
        details.hidden = !now;
        row.classList.toggle("open", now);
      });
      const row = el("tr", { class: "error-row" + (open ? " open" : "") },
        el("td", { class: "toggle-cell" }, toggle),
        el("td", { class: "time", "data-label": "Time" }, C.time(e.occurred_at)),
        el("td", { class: "customer", "data-label": "Customer" }, [e.email, e.phone].filter(Boolean).join(" · ")),
        el("td", { class: "items", "data-label": "Items" }, itemsText(e.checkout_items)),
        el("td", { class: "num amount", "data-label": "Amount" }, C.money(e.total_amount)),
        el("td", { class: "method", "data-label": "Method" }, e.payment_method || ""),
        el("td", { class: "code", "data-label": "Code" }, e.error_code),
        el("td", { class: "message", "data-label": "Message" }, e.error_message),
        el("td", { class: "browser", "data-label": "Browser" }, browser(e.user_agent)));
      body.append(row, details);
      if (focused === key) toggle.focus();
    });
    if (!errors.length) body.append(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "no payment errors")));
    $("errors-count").textContent = errors.length ? "(" + errors.length + ")" : "";
  }

  // --- open payment problems and alerts -----------------------------------------------------
  const kindWords = { gap: ["gap", "gaps"], unmatched: ["unmatched", "unmatched"], amount_mismatch: ["amount mismatch", "amount mismatches"] };
  function showGaps() {
    const list = C.clear($("gaps"));
    for (const p of [...gaps.values()].sort((a, b) => (b.gap_since || b.mismatch_since || b.updated_at).localeCompare(a.gap_since || a.mismatch_since || a.updated_at))) {
      const words = C.problemWords(p);
      list.append(el("li", { class: p.kind === "gap" ? "critical" : "warning", "data-reference": p.reference, "data-kind": p.kind || "" },
        el("span", { class: "time" }, C.time(p.gap_since || p.mismatch_since || p.updated_at)),
        el("strong", {}, words.title), " ",
        [p.reference, p.provider + (p.provider_reference ? " " + p.provider_reference : ""), words.amounts, p.email || p.phone || p.user_id].filter(Boolean).join(" · ")));
    }
    if (!gaps.size) {
      // What is true when none is open: not "all credited" when some were closed by hand.
      const resolved = today && today.resolved ? today.resolved : 0;
      list.append(el("li", { class: "empty" }, "none open" + (resolved ? " · today " + resolved + (resolved === 1 ? " payment was" : " payments were")
        + " resolved by hand without a credit" : "")));
    }
    $("gaps-count").textContent = "(" + gaps.size + ")";
    $("tile-gaps").textContent = gaps.size;
    const counts = Object.keys(kindWords).map((k) => [k, [...gaps.values()].filter((p) => p.kind === k).length]).filter(([, n]) => n);
    $("tile-gaps-hint").textContent = counts.map(([k, n]) => n + " " + kindWords[k][n === 1 ? 0 : 1]).join(" · ");
  }

  // Gap, unmatched and amount-mismatch alerts are the open problems above: listed there while open, not twice.
  const shownAsGap = new Set(["payment_gap", "unmatched_payment", "amount_mismatch"]);
  function showNotices() {
    const list = C.clear($("alerts"));
    const sorted = [...notices.values()].filter((a) => !shownAsGap.has(a.kind)).sort((a, b) => b.id - a.id).slice(0, 50);
    for (const a of sorted) {
      list.append(el("li", { class: a.severity || "critical" }, el("span", { class: "time" }, C.time(a.created_at)),
        el("strong", {}, a.title), " " + a.message));
    }
    if (!sorted.length) list.append(el("li", { class: "empty" }, "nothing yet"));
    $("alerts-count").textContent = "(" + sorted.length + ")";
  }

  async function loadAlerts() {
    try {
      for (const a of await C.api("/api/alerts?limit=50")) notices.set(a.id, a);
      showNotices();
    } catch (e) { C.failed($("alerts"), e); }
  }

  // --- today, from GET /api/analytics/day and /api/analytics/series -----------------------
  // The hub's days are UTC days. Every name in the answer (pages, sources, events, goals) is
  // what a browser or an operator sent: shown as text, never as markup.
  let dayPoints = [], dayDate = null;
  const utcToday = () => new Date().toISOString().slice(0, 10);
  const count = (n) => (typeof n === "number" ? n.toLocaleString() : n == null ? "0" : String(n));
  function seconds(s) {
    const exact = Number(s) || 0, n = Math.round(exact);
    if (exact < 10) return (Math.round(exact * 10) / 10) + " s";  // a quick page's few tenths show
    if (n < 60) return n + " s";
    if (n < 3600) return Math.floor(n / 60) + " min " + String(n % 60).padStart(2, "0") + " s";
    return Math.floor(n / 3600) + " h " + String(Math.floor(n % 3600 / 60)).padStart(2, "0") + " min";
  }
  const percent = (r) => (Number(r) * 100).toFixed(Number(r) >= 0.1 || !r ? 0 : 1) + " %";
  /// A list of rows: [label, figure, note?] each; `empty` when there are none.
  function rows(node, items, empty) {
    C.clear(node);
    if (!items.length) node.append(el("li", { class: "empty" }, empty));
    for (const [what, figure, note] of items) {
      node.append(el("li", {}, el("span", { class: "what" }, what), el("strong", { class: "count" }, figure, note ? el("span", { class: "sub" }, note) : null)));
    }
  }
  const list = (v) => (Array.isArray(v) ? v : []);

  function showDay(d) {
    $("day-caption").textContent = "(" + d.date + ", a UTC day; " + count(d.sessions) + " sessions)";
    $("day-visitors").textContent = count(d.visitors);
    $("day-visitors-hint").textContent = count(d.sessions) + " sessions";
    $("day-pageviews").textContent = count(d.pageviews);
    $("day-bots").textContent = d.bots ? count(d.bots) + (d.bots === 1 ? " bot" : " bots") + " left out" : "no bots";
    $("day-paid").textContent = count(d.paid);
    $("day-paid-hint").textContent = d.visitors ? percent((d.paid || 0) / d.visitors) + " of visitors" : "";
    $("day-payment-errors").textContent = count(d.payment_errors);
    const revenue = list(d.revenue);
    C.clear($("day-revenue")).append(...(revenue.length ? revenue.map((r) => el("li", { "data-currency": r.currency }, C.money(r.amount, r.currency)))
      : [el("li", { class: "empty" }, "none yet")]));

    rows($("day-top-pages"), list(d.top_pages).map((p) => [p.page, count(p.pageviews)]), "no pageviews yet");
    rows($("day-sources"), list(d.sources).map((s) => [s.source, count(s.visitors)]), "no visitors yet");
    const utm = [["source", d.utm_sources], ["medium", d.utm_mediums], ["campaign", d.utm_campaigns]]
      .flatMap(([kind, values]) => list(values).map((v) => [kind + ": " + v.value, count(v.visitors)]));
    rows($("day-utm"), utm, "no UTM tags");
    rows($("day-devices"), list(d.devices).map((v) => [v.device, count(v.visitors)]), "no visitors yet");
    rows($("day-events"), list(d.events).map((e) => [e.name, count(e.count), "in " + count(e.sessions) + (e.sessions === 1 ? " session" : " sessions")]), "no events yet: LiveHub.track(name, props)");
    rows($("day-goals"), list(d.goals).map((g) => [g.name + " (" + (g.kind === "event" ? "event " : "page ") + g.target + ")", count(g.conversions), percent(g.rate)]),
      "no goals set");
    const a = d.abandoned_checkout || {};
    rows($("day-abandoned"), [["checkout", count(a.checkout)], ["payment", count(a.payment)], ["payment error", count(a.payment_error)]], "");

    const body = C.clear(document.querySelector("#day-page-types tbody"));
    for (const t of list(d.page_types)) {
      body.append(el("tr", { "data-page-type": t.page_type }, el("td", { class: "name" }, t.page_type),
        el("td", { class: "num", "data-label": "Pageviews" }, count(t.pageviews)),
        el("td", { class: "num", "data-label": "Visitors" }, count(t.visitors)),
        el("td", { class: "num avg", "data-label": "Engaged, avg" }, seconds(t.avg_engaged_seconds)),
        el("td", { class: "num engaged", "data-label": "Engaged, all" }, seconds(t.engaged_seconds)),
        el("td", { class: "num exits", "data-label": "Exits" }, count(t.exits))));
    }
    if (!list(d.page_types).length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "no pages yet")));
  }

  async function loadDay() {
    const date = utcToday();
    try {
      const from = date + "T00:00:00Z", to = new Date(Date.parse(from) + 86400000).toISOString().replace(/\.000Z$/, "Z");
      const [day, series] = await Promise.all([C.api("/api/analytics/day?date=" + date),
        C.api("/api/analytics/series?grain=hour&metric=pageviews,visitors&from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to))]);
      dayDate = date;
      dayPoints = list(series && series.points);
      showDay(day);
      drawDayChart();
    } catch (e) { $("day-caption").textContent = "(could not read it: " + e.message + ")"; }
  }

  /// The day's 24 hours (UTC): pageviews as bars, visitors as a narrower bar inside each.
  function drawDayChart() {
    const canvas = $("day-chart"), ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !dayDate) return;
    canvas.width = w * ratio; canvas.height = h * ratio;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const start = Date.parse(dayDate + "T00:00:00Z"), hours = new Array(24).fill(null).map(() => [0, 0]);
    for (const p of dayPoints) {
      const i = Math.floor((Date.parse(p.at) - start) / 3600000);
      if (i >= 0 && i < 24) { hours[i][0] += Number(p.pageviews) || 0; hours[i][1] += Number(p.visitors) || 0; }
    }
    const max = Math.max(4, ...hours.map((x) => x[0]), ...hours.map((x) => x[1]));
    // Four lines at a round step (1, 2, 2.5 or 5 times a power of ten) above the highest bar.
    const magnitude = Math.pow(10, Math.floor(Math.log10(max / 4)));
    const tick = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((t) => t * 4 >= max && Number.isInteger(t)) || Math.ceil(max / 4);
    const top = tick * 4;
    const left = 36, right = 8, bottom = 22, topPad = 8;
    const slot = (w - left - right) / 24;
    const y = (v) => h - bottom - (v / top) * (h - bottom - topPad);
    ctx.font = "11px system-ui"; ctx.fillStyle = "#8d98ad"; ctx.strokeStyle = "#243049"; ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const v = (top / 4) * i;
      ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(w - right, y(v)); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(String(v), left - 6, y(v) + 4);
    }
    const every = slot >= 28 ? 1 : slot >= 14 ? 3 : 6;  // hour labels that fit
    ctx.textAlign = "center";
    for (let i = 0; i < 24; i += every) ctx.fillText(String(i).padStart(2, "0"), left + slot * (i + 0.5), h - 6);
    const now = Math.floor((Date.now() - start) / 3600000);
    hours.forEach(([views, visitors], i) => {
      const x = left + slot * i, bw = Math.max(2, slot * 0.7);
      if (i === now) { ctx.fillStyle = "#1b2740"; ctx.fillRect(x, topPad, slot, h - bottom - topPad); }
      if (views) { ctx.fillStyle = "#2f7d69"; ctx.fillRect(x + (slot - bw) / 2, y(views), bw, y(0) - y(views)); }
      if (visitors) { const vw = Math.max(2, bw * 0.45); ctx.fillStyle = "#4fd1a5"; ctx.fillRect(x + (slot - vw) / 2, y(visitors), vw, y(0) - y(visitors)); }
    });
    const total = hours.reduce((n, x) => n + x[0], 0);
    $("day-chart-caption").textContent = "(UTC hours; wide bars pageviews, narrow bars visitors; " + total + " pageviews so far)";
  }
  window.addEventListener("resize", drawDayChart);

  const refreshDay = C.debounce(loadDay, 3000);
  const refreshSales = C.debounce(() => { loadSales(); loadHistory(); }, 500);
  C.live((msg) => {
    heard();
    if (msg.type === "metrics-update") { showMetrics(msg.data); refreshDay(); }
    else if (msg.type === "payment-errors-update") {
      const known = new Set(errors.map((e) => e.id));
      errors.unshift(...msg.data.filter((e) => !known.has(e.id)));
      errors.sort((a, b) => b.id - a.id);
      showErrors();
      refreshSales();
    } else if (msg.type === "payment-gap") { gaps.set(msg.data.reference, msg.data); showGaps(); }
    else if (msg.type === "payment-gap-closed") { gaps.delete(msg.data.reference); showGaps(); refreshSales(); }
    else if (msg.type === "alert") { notices.set(msg.data.id, msg.data); showNotices(); refreshSales(); }
  }, () => {
    // A (re)join sends the open gaps again: the list is rebuilt from them. Alerts raised
    // while the socket was away are read again (kept by id, so none is listed twice).
    gaps.clear(); showGaps(); loadAlerts();
  });

  showErrors(); showGaps(); showNotices();
  loadHistory(); loadSales(); loadDay();
  setInterval(loadHistory, 60000);
  setInterval(loadDay, 15000);
  setInterval(loadSales, 30000);
})();
