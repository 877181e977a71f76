// What every console page shares: the token (from ?token=, kept for the tab), the header and
// its navigation, calls to the hub's API, the seller socket, and how money and times read.
// No framework: the pages are small and the hub serves every byte of them.
window.Console = (function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  let token = params.get("token") || sessionStorage.getItem("livehub_token") || "";
  if (params.get("token")) {
    sessionStorage.setItem("livehub_token", token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));  // keep the token out of the address bar
  }

  /// The token's scope as it says itself (the hub checks it on every call; this only picks what to show).
  function scope() {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).scope || "";
    } catch (e) { return ""; }
  }

  const pages = [["/", "Live"], ["/payments", "Payments"], ["/support", "Support"], ["/wallet", "Wallet"], ["/funnels", "Funnels"]];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /// The header: the name, the pages, and the connection badge.
  function header(current, subtitle) {
    const nav = el("nav", {}, pages.map(([href, name]) => el("a", { href, class: href === current ? "here" : null }, name)));
    const badge = el("div", { id: "status", class: "status offline", title: "connection to the hub" }, "connecting…");
    document.body.prepend(el("header", {}, el("h1", {}, "LiveHub ", el("span", { class: "sub" }, subtitle)), nav, badge));
    return badge;
  }

  function setStatus(live, text) {
    const badge = document.getElementById("status");
    if (!badge) return;
    badge.className = "status " + (live ? "live" : "offline");
    badge.textContent = text;
  }

  /// A page that needs a scope this token does not have says so and how to get one.
  function requireScope(allowed, what) {
    const have = scope();
    if (token && allowed.includes(have)) return true;
    const main = document.querySelector("main");
    main.textContent = "";
    const needed = allowed.includes("seller") ? "a seller or admin token" : "an admin token";
    main.append(el("div", { class: "notice", id: "needs-token" },
      el("strong", {}, (token ? "This token (" + (have || "unreadable") + ") cannot open " : "No token: cannot open ") + what + ". "),
      "It needs " + needed + ". Mint one on the hub's machine with ",
      el("code", {}, "livehub token --scope " + (allowed.includes("seller") ? "seller" : "admin")),
      " and open this page as ", el("code", {}, location.pathname + "?token=…"), "."));
    setStatus(false, token ? "wrong token" : "no token");
    return false;
  }

  class APIError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    init.headers = Object.assign({ Authorization: "Bearer " + token }, init.headers);
    if (init.json !== undefined) {
      init.body = JSON.stringify(init.json);
      init.headers["Content-Type"] = "application/json";
      delete init.json;
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
    if (!response.ok) {
      const message = body && body.error ? body.error.message : response.status + " " + response.statusText;
      throw new APIError(response.status, message);
    }
    return body;
  }

  /// `/ws/seller`, reconnecting; `onMessage` gets each parsed message, `onOpen` each (re)connection.
  function live(onMessage, onOpen) {
    let retry = 500;
    function connect() {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/seller?token=" + encodeURIComponent(token));
      ws.onopen = () => { retry = 500; setStatus(true, "live"); if (onOpen) onOpen(); };
      ws.onmessage = (event) => onMessage(JSON.parse(event.data));
      ws.onclose = (event) => {
        setStatus(false, event.code === 1008 || event.code === 4001 || event.code === 4003 ? "refused: token" : "reconnecting…");
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }
    connect();
  }

  /// Calls `fn` once after a burst of calls (live events refetch without a storm of requests).
  function debounce(fn, ms) {
    let timer = null;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  /// Money as the hub sends it (exact decimal numbers), shown with two places and its currency.
  function money(amount, currency) {
    if (amount == null || amount === "") return "—";
    const n = Number(amount);
    const text = Number.isFinite(n) ? n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : String(amount);
    return currency ? text + " " + currency : text;
  }

  /// A time: the clock alone today, with the date otherwise.
  function time(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    const today = new Date().toDateString() === d.toDateString();
    return today ? d.toLocaleTimeString() : d.toLocaleDateString() + " " + d.toLocaleTimeString();
  }

  function clear(node) { node.textContent = ""; return node; }

  function tag(text, kind) { return el("span", { class: "tag " + (kind || text) }, text); }

  /// A message where a list or a figure would be, when the hub could not be read.
  function failed(node, error) {
    clear(node).append(el("div", { class: "notice" }, error.status === 401 || error.status === 403
      ? "The hub refused this token for that (" + error.message + ")." : "Could not read it: " + error.message));
  }

  return { token: () => token, scope, el, header, setStatus, requireScope, api, live, debounce, money, time, clear, tag, failed };
})();
