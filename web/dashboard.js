// The seller dashboard: one WebSocket to /ws/seller; the hub sends the full state on
// join, then conflated metrics updates, new payment errors and a heartbeat per sweep.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || sessionStorage.getItem("livehub_token") || "";
  if (params.get("token")) {
    sessionStorage.setItem("livehub_token", token);
    history.replaceState(null, "", location.pathname);  // keep the token out of the address bar
  }
  const $ = (id) => document.getElementById(id);
  const statusEl = $("status");
  const history_ = [];  // [time, total] samples for the chart
  const errors = [];
  let retry = 500;

  function setStatus(live, text) {
    statusEl.className = "status " + (live ? "live" : "offline");
    statusEl.textContent = text;
  }

  function bars(el, map) {
    el.textContent = "";
    const entries = Object.entries(map || {}).sort((a, b) => b[1] - a[1]);
    if (!entries.length) {
      const li = document.createElement("li"); li.className = "empty"; li.textContent = "nobody right now"; el.appendChild(li);
    }
    for (const [name, count] of entries) {
      const li = document.createElement("li");
      const a = document.createElement("span"); a.textContent = name;
      const b = document.createElement("strong"); b.textContent = count;
      li.append(a, b); el.appendChild(li);
    }
  }

  function showMetrics(m) {
    $("tile-homepage").textContent = m.homepage;
    $("tile-checkout").textContent = m.checkout;
    $("tile-payment").textContent = m.payment;
    $("tile-payment-errors").textContent = m.payment_errors;
    $("tile-total").textContent = m.total_active;
    $("updated-at").textContent = new Date(m.updated_at).toLocaleTimeString();
    bars($("list-categories"), m.categories);
    bars($("list-offers"), m.offers);
    sample(m.total_active);
  }

  function sample(total) {
    const now = Date.now();
    history_.push([now, total]);
    while (history_.length && history_[0][0] < now - 10 * 60 * 1000) history_.shift();
    drawChart();
  }

  function drawChart() {
    const canvas = $("chart"), ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, now = Date.now(), span = 10 * 60 * 1000;
    ctx.clearRect(0, 0, w, h);
    const max = Math.max(1, ...history_.map((s) => s[1]));
    ctx.strokeStyle = "#4fd1a5"; ctx.lineWidth = 2; ctx.beginPath();
    history_.forEach(([t, v], i) => {
      const x = w - ((now - t) / span) * w, y = h - 8 - (v / max) * (h - 24);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    if (history_.length) ctx.lineTo(w, h - 8 - (history_[history_.length - 1][1] / max) * (h - 24));
    ctx.stroke();
    ctx.fillStyle = "#8d98ad"; ctx.font = "12px system-ui"; ctx.fillText("max " + max, 6, 14);
  }

  function cell(text, cls) {
    const td = document.createElement("td"); td.textContent = text == null ? "" : text; if (cls) td.className = cls; return td;
  }

  function itemsText(items) {
    if (!Array.isArray(items)) return items == null ? "" : JSON.stringify(items);
    return items.map((i) => (i && (i.name || i.sku || i.id)) ? (i.name || i.sku || i.id) + (i.qty ? " ×" + i.qty : "") : JSON.stringify(i)).join(", ");
  }

  function browser(ua) {
    if (!ua) return "";
    const m = ua.match(/(Firefox|Edg|Chrome|Safari)\/[\d.]+/);
    return m ? m[0].replace("Edg", "Edge") : ua.slice(0, 40);
  }

  function showErrors() {
    const body = document.querySelector("#errors tbody");
    body.textContent = "";
    for (const e of errors.slice(0, 100)) {
      const tr = document.createElement("tr");
      tr.append(cell(new Date(e.occurred_at).toLocaleTimeString()), cell([e.email, e.phone].filter(Boolean).join(" · ")),
        cell(itemsText(e.checkout_items)), cell(e.total_amount), cell(e.payment_method), cell(e.error_code, "code"),
        cell(e.error_message), cell(browser(e.user_agent)));
      body.appendChild(tr);
    }
    $("errors-count").textContent = errors.length ? "(" + errors.length + ")" : "";
  }

  // Payment gaps (money confirmed by the provider, not credited) and alerts, newest first.
  // Keyed, so the gaps a reconnect sends again are not listed twice.
  const notices = new Map();
  function notice(key, at, title, text, kind) {
    notices.set(key, { at: new Date(at), title, text, kind });
    const list = $("alerts");
    list.textContent = "";
    const sorted = [...notices.values()].sort((a, b) => b.at - a.at).slice(0, 50);
    for (const n of sorted) {
      const li = document.createElement("li");
      li.className = n.kind;
      const time = document.createElement("span"); time.className = "time"; time.textContent = n.at.toLocaleTimeString();
      const title = document.createElement("strong"); title.textContent = n.title;
      li.append(time, title, document.createTextNode(" " + n.text));
      list.appendChild(li);
    }
    $("alerts-count").textContent = "(" + notices.size + ")";
  }

  function connect() {
    if (!token) { setStatus(false, "no token: open the address livehub serve printed"); return; }
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/seller?token=" + encodeURIComponent(token));
    ws.onopen = () => { retry = 500; setStatus(true, "live"); };
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "metrics-update") showMetrics(msg.data);
      else if (msg.type === "payment-errors-update") {
        const known = new Set(errors.map((e) => e.id));
        const fresh = msg.data.filter((e) => !known.has(e.id));
        errors.unshift(...fresh);
        errors.sort((a, b) => b.id - a.id);
        showErrors();
      } else if (msg.type === "metrics-heartbeat") sample(Number($("tile-total").textContent) || 0);
      else if (msg.type === "payment-gap") {
        const p = msg.data;
        notice("gap:" + p.reference, p.gap_since || p.updated_at, "Not credited",
          [p.reference, p.provider, p.amount, p.email || p.phone || p.user_id].filter((x) => x != null).join(" · "), "gap");
      } else if (msg.type === "alert") {
        notice("alert:" + msg.data.id, msg.data.created_at, msg.data.title, msg.data.message, "alert");
      }
    };
    ws.onclose = (event) => {
      setStatus(false, event.code === 1008 || event.code === 4001 ? "refused: token" : "reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  connect();
})();
