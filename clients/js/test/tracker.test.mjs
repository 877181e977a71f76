// The tracker (src/tracker.ts) in Node with the browser faked around it: a manual clock and
// interval, a page whose visibility and focus the test sets, a WebSocket the test opens, and
// navigator.sendBeacon recorded. `node --test clients/js/test/` after `node clients/js/build.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = process.env.LIVEHUB_JS_DIST || join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

/** A browser page for one tracker: what it sent over the socket, by beacon and by fetch. */
function page({ search = "", referrer = "", dnt = null } = {}) {
  const listeners = {}, docListeners = {}, store = new Map();
  const sent = [], beacons = [], fetched = [];
  let clock = 1_000_000, interval = null;
  const doc = {
    visibilityState: "visible", focused: true, referrer,
    hasFocus() { return this.focused; },
    addEventListener: (type, fn) => { (docListeners[type] ||= []).push(fn); },
  };
  class FakeSocket {
    constructor(url) { this.url = url; FakeSocket.last = this; }
    send(text) { sent.push(JSON.parse(text)); }
    close() {}
  }
  Object.assign(globalThis, {
    window: globalThis, document: doc, WebSocket: FakeSocket,
    location: { host: "shop.example", href: "https://shop.example/" + search, search, origin: "https://shop.example" },
    localStorage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k) },
    addEventListener: (type, fn) => { (listeners[type] ||= []).push(fn); },
    setInterval: (fn) => { interval = fn; return 1; },
    clearInterval: () => { interval = null; },
    fetch: async (url, init) => { fetched.push([url, JSON.parse(init.body)]); return {}; },
  });
  Object.defineProperty(globalThis, "navigator", { configurable: true, value: {
    doNotTrack: dnt,
    sendBeacon: (url, blob) => { beacons.push([url, blob]); return true; },
  } });
  Date.now = () => clock;
  return {
    sent, fetched, doc,
    open: () => FakeSocket.last.onopen(),
    advance(ms) { clock += ms; },
    beat() { interval(); },
    hide() { doc.visibilityState = "hidden"; doc.focused = false; (docListeners.visibilitychange || []).forEach((f) => f()); },
    show() { doc.visibilityState = "visible"; doc.focused = true; (docListeners.visibilitychange || []).forEach((f) => f()); (listeners.focus || []).forEach((f) => f()); },
    blur() { doc.focused = false; (listeners.blur || []).forEach((f) => f()); },
    leave() { (listeners.pagehide || []).forEach((f) => f()); },
    async beacons() { return Promise.all(beacons.map(async ([url, blob]) => [url.split("?")[0], JSON.parse(await blob.text())])); },
  };
}
const { createTracker } = await import(pathToFileURL(join(dist, "tracker.js")).href);

test("session-start names another host's referrer and the address's UTM tags; the shop's own pages are no referrer", () => {
  const p = page({ search: "?utm_source=Newsletter&utm_medium=email&utm_campaign=" + "x".repeat(200) + "&utm_term=t", referrer: "https://news.example/a?b=1" });
  createTracker({ base: "https://hub.example", pageType: "offer", pageIdentifier: "bf" });
  p.open();
  const start = p.sent.find((m) => m.type === "session-start");
  assert.equal(start.referrer, "https://news.example/a?b=1");
  assert.deepEqual([start.utm_source, start.utm_medium, start.utm_campaign.length, start.utm_term], ["Newsletter", "email", 128, undefined]);
  assert.deepEqual(p.sent.map((m) => m.type), ["session-start", "page-visit"]);

  const q = page({ referrer: "https://shop.example/?page=category" });
  createTracker({ base: "https://hub.example" });
  q.open();
  assert.deepEqual(Object.keys(q.sent.find((m) => m.type === "session-start")), ["type", "session_id"]);
});

test("engaged_ms counts only the time visible and focused: every 15 s while visible, at once by sendBeacon when hidden", async () => {
  const p = page();
  const t = createTracker({ base: "https://hub.example", pageType: "offer" });
  p.open();
  const beats = () => p.sent.filter((m) => m.type === "heartbeat").map((m) => m.engaged_ms);
  p.advance(15000); p.beat();
  assert.deepEqual(beats(), [15000]);
  p.advance(3000); p.hide();                           // 3 s more in view, then hidden
  let sent = await p.beacons();
  assert.deepEqual(sent, [["https://hub.example/api/metrics/heartbeat", { session_id: t.sessionId(), engaged_ms: 3000 }]]);
  for (let i = 0; i < 4; i++) { p.advance(15000); p.beat(); }  // a minute hidden: one heartbeat, nothing engaged
  assert.deepEqual(beats(), [15000, 0]);
  p.show(); p.advance(2000); p.blur();                  // 2 s in view and focused, then another window in front
  p.advance(10000); p.beat();
  assert.deepEqual(beats(), [15000, 0, 2000]);
  p.show(); p.advance(700); p.leave();                  // the page is left: what was counted goes by sendBeacon
  sent = await p.beacons();
  assert.deepEqual(sent.map(([, b]) => b.engaged_ms), [3000, 700]);
  p.leave();                                            // a second pagehide sends nothing again
  assert.equal((await p.beacons()).length, 2);
  p.advance(20 * 60000); p.show(); p.beat();            // never more than the hub takes
  assert.ok(beats().every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 600000), String(beats()));
});

test("track() sends the event with at most 8 text props, cut to the hub's limits; an empty name sends nothing", () => {
  const p = page();
  const t = createTracker({ base: "https://hub.example" });
  p.open();
  const props = { sku: "sku-1", qty: 2, ok: true, skip: null, nested: { a: 1 } };
  for (let i = 0; i < 10; i++) props["k" + i] = "v" + i;
  props["long".repeat(20)] = "y".repeat(300);
  t.track("add_to_cart", props);
  t.track("  ");
  t.track("n".repeat(80));
  const events = p.sent.filter((m) => m.type === "event");
  assert.equal(events.length, 2);
  assert.deepEqual(events[0].props, { sku: "sku-1", qty: "2", ok: "true", k0: "v0", k1: "v1", k2: "v2", k3: "v3", k4: "v4" });
  assert.equal(events[0].name, "add_to_cart");
  assert.equal(events[0].session_id, t.sessionId());
  assert.deepEqual([events[1].name.length, events[1].props], [64, undefined]);
});

test("Do Not Track: no session, no beacon, no event, no heartbeat", async () => {
  const p = page({ dnt: "1", referrer: "https://news.example/" });
  const t = createTracker({ base: "https://hub.example", pageType: "homepage" });
  t.track("add_to_cart", { sku: "a" });
  p.advance(5000); p.hide(); p.leave();
  assert.equal(t.isTracking(), false);
  assert.equal(t.sessionId(), null);
  assert.deepEqual([p.sent, p.fetched, await p.beacons()], [[], [], []]);
});
