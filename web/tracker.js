// LiveHub tracker: add <script src="https://HUB/tracker.js" data-page-type="category"
// data-page-identifier="electronics"></script> to a page. It starts (or continues) the
// browser's session, reports the page, and keeps the session alive. Over one WebSocket
// (/ws/track) when it can, else HTTP beacons (fetch keepalive / navigator.sendBeacon).
// Checkout and payment events: LiveHub.checkoutStart(items, total, method),
// LiveHub.paymentStart(method, amount), LiveHub.paymentError(code, message, details),
// LiveHub.paymentSuccess(reference, amount), LiveHub.identify({user_id, email, phone}).
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
  };
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
          send("session-start", {});
          if (options.pageType)
              api.pageVisit(options.pageType, options.pageIdentifier);
          heartbeat = setInterval(() => send("heartbeat", {}), 60000);
      }
      // Page hidden (tab switched, navigation, close): a heartbeat by sendBeacon keeps the
      // session fresh even if the socket is torn down with the page.
      addEventListener("pagehide", () => { if (tracking)
          post("heartbeat", { session_id: sessionId }, true); });
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
