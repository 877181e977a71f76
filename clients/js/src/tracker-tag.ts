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
import { createTracker } from "./tracker.js";

const script = document.currentScript as HTMLScriptElement | null;
(window as Window & { LiveHub?: unknown }).LiveHub = createTracker({
  base: script ? new URL(script.src, location.href).origin : location.origin,
  pageType: script && script.dataset.pageType,
  pageIdentifier: script && script.dataset.pageIdentifier,
});
