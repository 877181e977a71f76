// LiveHub tracker: add <script src="https://HUB/tracker.js" data-page-type="category"
// data-page-identifier="electronics"></script> to a page. It starts (or continues) the
// browser's session, reports the page, and keeps the session alive. Over one WebSocket
// (/ws/track) when it can, else HTTP beacons (fetch keepalive / navigator.sendBeacon).
// Checkout and payment events: LiveHub.checkoutStart(items, total, method),
// LiveHub.paymentStart(method, amount), LiveHub.paymentError(code, message, details),
// LiveHub.paymentSuccess(reference, amount), LiveHub.identify({user_id, email, phone}).
// The shop's own events: LiveHub.track("add_to_cart", {sku: "sku-1"}) (up to 8 text props).
// The session's first beacon of a page names the referrer (another host's only) and the
// address's utm_source, utm_medium and utm_campaign; heartbeats say how long the page was
// visible and focused (engaged_ms): every 15 s while visible, at once as it is hidden.
//
// Consent: a browser that sends Global Privacy Control (navigator.globalPrivacyControl) or
// Do Not Track is not tracked at all (no session id stored, no beacon, no socket) unless
// the shop's consent banner calls LiveHub.optIn() for it. LiveHub.optOut() stops tracking
// any browser and forgets its session id; both choices are remembered in this browser.
//
// Made from clients/js/src/tracker.ts and tracker-tag.ts by clients/js/build.mjs: edit those.
(function () {
  "use strict";
  const KEY = "livehub_session", CONSENT = "livehub_consent";
  const paths = {
      "session-start": "/api/metrics/session/start", "page-visit": "/api/metrics/track/page-visit",
      "checkout-start": "/api/metrics/track/checkout-start", "payment-start": "/api/metrics/track/payment-start",
      "payment-error": "/api/metrics/track/payment-error", "payment-success": "/api/metrics/track/payment-success",
      "heartbeat": "/api/metrics/heartbeat", "session-end": "/api/metrics/session/end",
      "event": "/api/metrics/track/event",
  };
  /** Heartbeats while the page is visible; hidden, one in four (the session stays live). */
  const BEAT_MS = 15000, HIDDEN_BEATS = 4, MAX_ENGAGED_MS = 600000;
  // localStorage throws in some private modes: then nothing is remembered.
  function stored(key) {
      try {
          return localStorage.getItem(key);
      }
      catch (e) {
          return null;
      }
  }
  function store(key, value) {
      try {
          if (value == null)
              localStorage.removeItem(key);
          else
              localStorage.setItem(key, value);
      }
      catch (e) {
          // private mode
      }
  }
  /** A choice made in this browser stands; without one, the browser's privacy signals decide. */
  function consented() {
      const choice = stored(CONSENT);
      if (choice === "in")
          return true;
      if (choice === "out")
          return false;
      const nav = navigator;
      const dnt = nav.doNotTrack || window.doNotTrack || nav.msDoNotTrack;
      return !(nav.globalPrivacyControl === true || dnt === "1" || dnt === "yes");
  }
  /** Where this visit came from: the referrer when it is another host's, and the address's UTM tags. */
  function origins() {
      const found = {};
      try {
          if (document.referrer && new URL(document.referrer).host !== location.host)
              found.referrer = document.referrer.slice(0, 2048);
      }
      catch (e) {
          // not an address: not sent
      }
      const query = new URLSearchParams(location.search);
      for (const key of ["utm_source", "utm_medium", "utm_campaign"]) {
          const value = (query.get(key) || "").trim();
          if (value)
              found[key] = value.slice(0, 128);
      }
      return found;
  }
  /** A custom event's properties as the hub takes them: at most 8, text, names ≤ 40, values ≤ 256. */
  function eventProps(props) {
      if (!props || typeof props !== "object")
          return null;
      const out = {};
      let n = 0;
      for (const [key, value] of Object.entries(props)) {
          if (n >= 8)
              break;
          if (!key || value == null || typeof value === "object" || typeof value === "function")
              continue;
          out[key.slice(0, 40)] = String(value).slice(0, 256);
          n++;
      }
      return n ? out : null;
  }
  /** Starts tracking this page (if the browser consents) and answers its API. */
  function createTracker(options) {
      const base = options.base;
      let sessionId = null, tracking = false, heartbeat;
      let ws = null, wsOpen = false;
      const queue = [];
      /** Every request names its session in the query string (?sid=): behind a load balancer
       *  that hashes on it (deploy/nginx.conf), a session's beacons all reach the same node. */
      function url(path) { return base + path + "?sid=" + encodeURIComponent(sessionId || ""); }
      function post(type, body, onHide) {
          const text = JSON.stringify(body);
          if (onHide && navigator.sendBeacon) {
              // text/plain: no CORS preflight, and the browser sends it even as the page goes away.
              navigator.sendBeacon(url(paths[type]), new Blob([text], { type: "text/plain" }));
              return;
          }
          fetch(url(paths[type]), { method: "POST", body: text, keepalive: true, headers: { "Content-Type": "text/plain" } }).catch(() => { });
      }
      function send(type, fields, onHide) {
          if (!tracking)
              return;
          const body = Object.assign({ session_id: sessionId }, fields || {});
          if (wsOpen && ws) {
              ws.send(JSON.stringify(Object.assign({ type }, body)));
              return;
          }
          if (ws && !onHide) {
              queue.push([type, body]);
              return;
          }
          post(type, body, !!onHide);
      }
      function openSocket() {
          if (!("WebSocket" in window))
              return;
          let socket;
          try {
              socket = ws = new WebSocket(url("/ws/track").replace(/^http/, "ws"));
          }
          catch (e) {
              ws = null;
              return;
          }
          socket.onopen = () => {
              wsOpen = true;
              while (queue.length) {
                  const [type, body] = queue.shift();
                  socket.send(JSON.stringify(Object.assign({ type }, body)));
              }
          };
          socket.onclose = () => {
              const wasOpen = wsOpen;
              wsOpen = false;
              ws = null;
              // Never opened (blocked, proxy): fall back to HTTP for what was queued.
              if (!wasOpen)
                  while (queue.length) {
                      const [type, body] = queue.shift();
                      post(type, body, false);
                  }
          };
      }
      const api = {
          sessionId: () => sessionId,
          pageVisit: (pageType, identifier) => send("page-visit", { page_type: pageType, page_identifier: identifier || null, page_url: location.href }),
          identify: (who) => send("session-start", who),
          checkoutStart: (items, total, method) => send("checkout-start", { checkout_items: items, total_amount: total, payment_method: method || null }),
          paymentStart: (method, amount) => send("payment-start", { payment_method: method || null, amount: amount == null ? null : amount }),
          paymentError: (code, message, details, contact) => send("payment-error", Object.assign({ error_code: code, error_message: message, error_details: details || null }, contact || {})),
          paymentSuccess: (reference, amount) => send("payment-success", { reference: reference || null, amount: amount == null ? null : amount }),
          track: (name, props) => {
              const text = String(name == null ? "" : name).trim().slice(0, 64);
              if (!text)
                  return;
              const fields = { name: text };
              const p = eventProps(props);
              if (p)
                  fields.props = p;
              send("event", fields);
          },
          endSession: () => send("session-end", {}),
          isTracking: () => tracking,
          optIn: () => { store(CONSENT, "in"); start(); },
          optOut: () => {
              if (tracking)
                  send("session-end", {});
              tracking = false;
              clearInterval(heartbeat);
              if (ws) {
                  const socket = ws;
                  setTimeout(() => socket.close(), 100);
              }
              store(CONSENT, "out");
              store(KEY, null);
              sessionId = null;
          },
      };
      function start() {
          if (tracking)
              return;
          sessionId = stored(KEY);
          if (!sessionId) {
              sessionId = "s_" + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
              store(KEY, sessionId);
          }
          tracking = true;
          openSocket();
          send("session-start", origins());
          if (options.pageType)
              api.pageVisit(options.pageType, options.pageIdentifier);
          engaged = 0;
          activeSince = null;
          measure();
          let beats = 0;
          heartbeat = setInterval(() => {
              beats++;
              if (document.visibilityState === "visible" || beats % HIDDEN_BEATS === 0)
                  beat(false);
          }, BEAT_MS);
      }
      // Engaged time: counted while the page is visible and its window focused, from the moment
      // it became so; each heartbeat takes what was counted and starts again from nothing.
      let engaged = 0, activeSince = null, hiddenSent = false;
      function engagedNow() { return document.visibilityState === "visible" && document.hasFocus(); }
      function measure() {
          const now = Date.now();
          if (activeSince != null)
              engaged += Math.max(0, now - activeSince);
          activeSince = engagedNow() ? now : null;
      }
      function beat(onHide) {
          if (!tracking)
              return;
          measure();
          const ms = Math.min(MAX_ENGAGED_MS, Math.round(engaged));
          engaged = 0;
          const body = { session_id: sessionId, engaged_ms: ms };
          // As the page goes away the socket may go with it: by sendBeacon.
          if (onHide)
              post("heartbeat", body, true);
          else
              send("heartbeat", { engaged_ms: ms });
      }
      // Hidden (tab switched, window minimised, navigation, close): what was counted goes at
      // once, by sendBeacon; the pagehide that follows a hide sends nothing twice.
      document.addEventListener("visibilitychange", () => {
          if (document.visibilityState === "hidden") {
              beat(true);
              hiddenSent = true;
          }
          else {
              hiddenSent = false;
              measure();
          }
      });
      addEventListener("pagehide", () => { if (!hiddenSent)
          beat(true); hiddenSent = true; });
      addEventListener("pageshow", () => { hiddenSent = false; measure(); });
      addEventListener("focus", measure);
      addEventListener("blur", measure);
      if (consented())
          start();
      return api;
  }
  const script = document.currentScript;
  window.LiveHub = createTracker({
      base: script ? new URL(script.src, location.href).origin : location.origin,
      pageType: script && script.dataset.pageType,
      pageIdentifier: script && script.dataset.pageIdentifier,
  });
})();
