// What every console page shares: the signed-in operator's session (an HttpOnly cookie this
// page never sees, and the CSRF token the hub hands back with it), the header and its
// navigation, calls to the hub's API, the seller socket, and how money and times read.
// No framework: the pages are small and the hub serves every byte of them.
window.Console = (function () {
  "use strict";
  let session = null;  // {user: {name, role}, csrf, expires_at}, once the hub has said
  let leaving = false;  // signing out: the socket's close and failing calls send nobody anywhere

  /// No session: to the sign-in page, which comes back here afterwards.
  function toLogin() {
    if (leaving) return;
    leaving = true;
    location.replace("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }

  /// GET /api/console/session: its body, or null when nobody is signed in (401).
  async function readSession() {
    const response = await fetch("/api/console/session", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    const body = await response.json();
    if (!body || !body.user || !body.csrf) throw new Error("the hub's answer has no session");
    return body;
  }

  /// Resolves with the session once the hub has said who is signed in: pages await it before
  /// they start. Without a session the page goes to /login and this never resolves; while the
  /// hub cannot be reached it asks again.
  const ready = new Promise((resolve) => {
    async function ask(wait) {
      try {
        const body = await readSession();
        if (!body) { toLogin(); return; }
        session = body;
        resolve(body);
      } catch (e) {
        setStatus(false, "hub unreachable");
        setTimeout(() => ask(Math.min(wait * 2, 10000)), wait);
      }
    }
    ask(1000);
  });
  // Back to a page kept in the browser's back/forward cache (after signing out, say): the
  // session is asked about again rather than the old page shown as if signed in.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) readSession().then((body) => { if (!body) toLogin(); }, () => {});
  });

  function user() { return session ? session.user : null; }
  function role() { return session ? session.user.role : ""; }
  /// Whether the signed-in role is one of `allowed` (the hub checks every call; this only picks what to show).
  function can(allowed) { return allowed.includes(role()); }

  const everyone = ["seller", "support", "admin"], staff = ["support", "admin"];
  const pages = [["/", "Live", everyone], ["/payments", "Payments", everyone], ["/support", "Support", staff],
    ["/wallet", "Wallet", staff], ["/funnels", "Funnels", everyone], ["/audit", "Audit", ["admin"]]];

  /// An element with attributes (a function under an `on…` key becomes a listener) and
  /// children (strings become text, never markup). The hub's pages run under a
  /// Content-Security-Policy without 'unsafe-inline': a `style` attribute or an `on…` string
  /// (inline code) is refused here, loudly, rather than silently blocked by the browser.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      const key = k.toLowerCase();
      if (key === "style") throw new TypeError("el(): no inline style; use a class, or set node.style after");
      if (key.startsWith("on")) {
        if (typeof v !== "function") throw new TypeError("el(): " + k + " must be a function");
        node.addEventListener(key.slice(2), v);
      } else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /// The header: the name, the pages this role may open, the connection badge, and who is
  /// signed in with a way out. The pages and the name come once the session is known.
  function header(current, subtitle) {
    const nav = el("nav", { "aria-label": "console pages" });
    const badge = el("div", { id: "status", class: "status offline", title: "connection to the hub" }, "connecting…");
    const account = el("div", { id: "account" });
    document.body.prepend(el("header", {}, el("h1", {}, "LiveHub ", el("span", { class: "sub" }, subtitle)), nav, badge, account));
    ready.then(() => {
      nav.append(...pages.filter(([, , roles]) => can(roles))
        .map(([href, name]) => el("a", { href, class: href === current ? "here" : null }, name)));
      account.append(el("span", { id: "signed-in-as", title: "signed in" }, user().name, " ", tag(role(), "role")), " ",
        el("button", { type: "button", class: "quiet", id: "sign-out", onclick: () => signOut() }, "Sign out"));
    });
    return badge;
  }

  function setStatus(live, text) {
    const badge = document.getElementById("status");
    if (!badge) return;
    badge.className = "status " + (live ? "live" : "offline");
    badge.textContent = text;
  }

  /// Ends the session on the hub, then to the sign-in page (`next`: where to come back to).
  async function signOut(next) {
    const button = document.getElementById("sign-out");
    if (button) button.disabled = true;
    leaving = true;
    const login = "/login" + (next ? "?next=" + encodeURIComponent(next) : "");
    try {
      await api("/api/console/logout", { method: "POST" });
      location.replace(login);
    } catch (e) {
      if (e.status === 401) { location.replace(login); return; }  // already signed out
      leaving = false;
      setStatus(false, "sign-out failed: " + e.message);
      if (button) button.disabled = false;
    }
  }

  function roleNames(allowed) {
    return allowed.length > 1 ? allowed.slice(0, -1).join(", ") + " or " + allowed[allowed.length - 1] : allowed[0];
  }

  /// A page this role may not open says so, names the role it needs, and offers another account.
  /// Call it after `await Console.ready`.
  function requireRole(allowed, what) {
    if (!session) throw new Error("requireRole before the session is known: await Console.ready first");
    if (can(allowed)) return true;
    const main = clear(document.querySelector("main"));
    main.append(el("div", { class: "notice", id: "needs-role" },
      el("strong", {}, user().name + " (" + role() + ") cannot open " + what + ". "),
      "It needs the " + roleNames(allowed) + " role. Ask an admin for such an account, or ",
      el("a", { href: "/login", onclick: (e) => { e.preventDefault(); signOut(location.pathname + location.search); } }, "sign in as someone else"), "."));
    setStatus(false, "needs " + roleNames(allowed));
    return false;
  }

  class APIError extends Error {
    constructor(status, message, code) { super(message); this.status = status; this.code = code; }
  }

  /// A call to the hub's API as the signed-in operator: the session cookie goes with it (same
  /// origin), a state-changing call carries the session's CSRF token, and no token is ever in
  /// a header or the URL. A 401 means the session is gone: to /login.
  async function api(path, options) {
    await ready;
    const init = Object.assign({}, options || {}, { credentials: "same-origin" });
    init.headers = Object.assign({}, init.headers);
    const withStatus = !!init.withStatus;  // {status, body} rather than the body alone (201 or 200, say)
    delete init.withStatus;
    const method = (init.method || "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = session.csrf;
    if (init.json !== undefined) {
      init.body = JSON.stringify(init.json);
      init.headers["Content-Type"] = "application/json";
      delete init.json;
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
    if (response.status === 401) toLogin();
    if (!response.ok) {
      const error = body && body.error ? body.error : {};
      throw new APIError(response.status, error.message || response.status + " " + response.statusText, error.code);
    }
    return withStatus ? { status: response.status, body } : body;
  }

  /// `/ws/seller`, reconnecting; `onMessage` gets each parsed message, `onOpen` each (re)connection.
  /// The session cookie signs the socket in. A close with 4001 or 1008 is the hub saying the
  /// session is gone: once the session endpoint agrees, to /login.
  function live(onMessage, onOpen) {
    let retry = 500;
    function connect() {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/seller");
      ws.onopen = () => { retry = 500; setStatus(true, "live"); if (onOpen) onOpen(); };
      ws.onmessage = (event) => onMessage(JSON.parse(event.data));
      ws.onclose = async (event) => {
        const refused = event.code === 4001 || event.code === 1008;
        setStatus(false, refused ? "signed out" : event.code === 4003 ? "refused" : "reconnecting…");
        if (refused) {
          try {
            if (!(await readSession())) { toLogin(); return; }
          } catch (e) { /* the hub is away: try the socket again below */ }
        }
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }
    ready.then(connect);
  }

  /// Calls `fn` once after a burst of calls (live events refetch without a storm of requests).
  function debounce(fn, ms) {
    let timer = null;
    return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  /// How many digits follow the point in a currency's minor unit: ISO 4217, as the hub's
  /// own table (Sources/Hub/Currency.swift) has it; two for credits and unknown codes.
  const places = (function () {
    const table = {};
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(" ").forEach((c) => { table[c] = 0; });
    "BHD IQD JOD KWD LYD OMR TND".split(" ").forEach((c) => { table[c] = 3; });
    "CLF UYW".split(" ").forEach((c) => { table[c] = 4; });
    return (currency) => (currency && table[String(currency).toUpperCase()]) ?? 2;
  })();

  /// Money as the hub sends it (exact decimal numbers, in the currency's own places: "5000.00"
  /// NGN, "1000" JPY, "1.250" KWD), shown with those places, grouped, and its currency. The
  /// JSON number has lost its trailing zeros: its currency says how many there were. Text
  /// (an amount typed, or kept as a string) keeps the places it has. Never rounded: a
  /// number with more places than its currency has is shown with all of them.
  function money(amount, currency) {
    if (amount == null || amount === "") return "—";
    let digits = places(currency);
    if (typeof amount === "string") {
      const m = /^-?\d+(?:\.(\d+))?$/.exec(amount.trim());
      if (!m) return currency ? amount + " " + currency : amount;
      digits = m[1] ? m[1].length : 0;
    }
    const n = Number(amount);
    let text = String(amount);
    if (Number.isFinite(n)) {
      const exact = String(n).split(".")[1];
      if (exact && exact.length > digits && !/e/i.test(String(n))) digits = Math.min(exact.length, 20);
      text = n.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    return currency ? text + " " + currency : text;
  }

  /// A payment's amount as a person types it into a form: the hub's decimal text, no
  /// grouping ("5000.00", "1000", "1.250").
  function amountText(amount, currency) {
    if (amount == null || amount === "") return "";
    const n = Number(amount);
    return Number.isFinite(n) ? n.toFixed(Math.max(places(currency), (String(n).split(".")[1] || "").length)) : String(amount);
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
    clear(node).append(el("div", { class: "notice" }, error.status === 401 ? "Your session has ended: signing in again…"
      : error.status === 403 ? "The hub refused that to " + (user() ? user().name + " (" + role() + ")" : "this account") + ": " + error.message + "."
        : "Could not read it: " + error.message));
  }

  return { ready, user, role, can, el, header, setStatus, requireRole, signOut, api, live, debounce, money, amountText, places, time, clear, tag, failed };
})();
