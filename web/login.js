// The console's sign-in page: a name and a password, or a one-time link (/login#code=…). The
// code rides in the fragment, which no browser sends to a server; it is taken out of the
// address bar at once and goes to the hub in a POST body, never in a URL. The hub answers with
// an HttpOnly session cookie (this page never sees it) and the page goes on to `?next=`.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("login-form"), errorBox = $("login-error"), button = $("sign-in"), linkNote = $("login-link");

  /// Where to go once signed in: `?next=` when it is a path on this site, else "/".
  function next() {
    const wanted = new URLSearchParams(location.search).get("next");
    if (!wanted || !wanted.startsWith("/") || wanted.startsWith("//") || wanted.startsWith("/\\")) return "/";
    let url;
    try { url = new URL(wanted, location.origin); } catch (e) { return "/"; }
    if (url.origin !== location.origin || url.pathname === "/login") return "/";
    return url.pathname + url.search + url.hash;
  }

  function show(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  /// 429: the hub's Retry-After (seconds, or an HTTP date), counted down on the page.
  let lockTimer = null, lockedUntil = 0;
  function lockout(response) {
    const header = response.headers.get("Retry-After") || "";
    let seconds = /^\d+$/.test(header.trim()) ? Number(header) : Math.ceil((Date.parse(header) - Date.now()) / 1000);
    if (!Number.isFinite(seconds) || seconds <= 0) seconds = 60;
    const until = lockedUntil = Date.now() + seconds * 1000;
    const wait = (s) => s >= 120 ? Math.ceil(s / 60) + " minutes" : s + (s === 1 ? " second" : " seconds");
    clearInterval(lockTimer);
    button.disabled = true;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) { show("Too many sign-in attempts. Try again in " + wait(left) + "."); return; }
      clearInterval(lockTimer);
      button.disabled = false;
      show("");
    };
    tick();
    lockTimer = setInterval(tick, 1000);
  }

  /// POST /api/console/login; true once signed in (and on the way to `next`).
  async function signIn(body) {
    let response, answer = null;
    try {
      response = await fetch("/api/console/login", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      answer = await response.json().catch(() => null);
    } catch (e) {
      show("Cannot reach the hub (" + e.message + "). Try again in a moment.");
      return false;
    }
    if (response.ok && answer && answer.user) {
      location.replace(next());
      return true;
    }
    const error = (answer && answer.error) || {};
    if (response.status === 429) lockout(response);
    else if (error.code === "invalid_code") show("This sign-in link has already been used or has expired. Ask for a new one, or sign in with your name and password.");
    else if (response.status === 401) show("That name and password do not match an active account.");
    else show("The hub could not sign you in: " + (error.message || response.status + " " + response.statusText) + ".");
    return false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const name = $("name").value.trim(), password = $("password").value;
    if (!name || !password) { show("Enter your name and your password."); return; }
    button.disabled = true;
    show("");
    const signedIn = await signIn({ name, password });
    if (signedIn) return;
    $("password").value = "";
    $("password").focus();
    button.disabled = Date.now() < lockedUntil;  // a lockout keeps it off until its countdown ends
  });

  /// A one-time link: its code out of the address bar at once, then signed in with it.
  async function fromLink() {
    const code = new URLSearchParams(location.hash.slice(1)).get("code");
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    if (!code) return;
    show("");
    form.hidden = true;
    linkNote.hidden = false;
    if (await signIn({ code })) return;
    linkNote.hidden = true;
    form.hidden = false;
    $("name").focus();
  }
  fromLink();
  // A link opened in a tab already on /login changes only the fragment: no new page loads.
  window.addEventListener("hashchange", fromLink);
})();
