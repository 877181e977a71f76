// Unit tests of the reconnect, resume and back-off logic with a fake WebSocket and a manual
// clock (no network, no waiting): `node --test clients/js/test/` after `node clients/js/build.mjs`
// (LIVEHUB_JS_DIST names another build folder).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = process.env.LIVEHUB_JS_DIST || join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const { backoffDelay, balanceStep, connectBalance, connectSeller } = await import(pathToFileURL(join(dist, "livehub.js")).href);

/** A WebSocket the test drives: it records what the client sends and closes. */
function fakes() {
  const sockets = [];
  class FakeSocket {
    constructor(url) { this.url = url; this.sent = []; this.closed = null; sockets.push(this); }
    send(data) { this.sent.push(JSON.parse(data)); }
    close(code, reason) { this.closed = { code, reason }; }
    open() { this.onopen?.({}); }
    receive(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
    drop(code = 1006) { this.onclose?.({ code, reason: "" }); }
  }
  // A manual clock: timers run only when the test says so.
  const timers = new Map();
  let nextId = 1;
  const listeners = {};
  const env = {
    WebSocket: FakeSocket,
    setTimeout: (fn, ms) => { timers.set(nextId, { fn, ms }); return nextId++; },
    clearTimeout: (id) => timers.delete(id),
    random: () => 0,
    online: true,
    events: {
      addEventListener: (type, fn) => { (listeners[type] ||= new Set()).add(fn); },
      removeEventListener: (type, fn) => listeners[type]?.delete(fn),
    },
  };
  env.isOnline = () => env.online;
  return {
    env, sockets, timers,
    last: () => sockets[sockets.length - 1],
    /** Runs the pending timers; answers their delays. */
    tick() { const due = [...timers.values()]; timers.clear(); due.forEach((t) => t.fn()); return due.map((t) => t.ms); },
    emit(type) { for (const fn of listeners[type] || []) fn(); },
    listening: (type) => (listeners[type] || new Set()).size,
  };
}
const settle = () => new Promise((r) => setImmediate(r));
const update = (seq) => ({ type: "balance_update", seq, balance: seq, transaction: { id: seq }, timestamp: "" });

test("back-off doubles from the first wait, stops at the cap, and jitter only shortens it", () => {
  const o = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 0)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelay(3, o, () => 1), 400);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(2, o);
    assert.ok(d >= 200 && d <= 400, String(d));
  }
});

test("each seq is applied once and in order; a later one means a gap", () => {
  assert.deepEqual(balanceStep({ type: "balance", seq: 4 }, null), { action: "apply", seq: 4 });
  assert.deepEqual(balanceStep({ type: "balance", seq: 4 }, 4), { action: "drop" });
  assert.deepEqual(balanceStep(update(5), 4), { action: "apply", seq: 5 });
  assert.deepEqual(balanceStep(update(4), 4), { action: "drop" });
  assert.deepEqual(balanceStep(update(2), 4), { action: "drop" });
  assert.deepEqual(balanceStep(update(7), 4), { action: "gap", expected: 5 });
  assert.deepEqual(balanceStep({ type: "notifications_unseen", unseen: 2 }, 4), { action: "other" });
});

test("a balance socket resumes with ?since= the last seq, with a fresh token, and gives no seq twice", async () => {
  const f = fakes();
  let tokens = 0;
  const seen = [], states = [], unseen = [], notes = [];
  const conn = connectBalance({
    url: "https://hub.example", getToken: async () => "t" + ++tokens, ...f.env,
    onUpdate: (m) => seen.push(m.seq), onState: (s, i) => states.push([s, i.recovered]), onUnseen: (n) => unseen.push(n),
    onNotification: (n) => notes.push(n.id),
  });
  await settle();
  assert.equal(f.last().url, "wss://hub.example/ws/balance");
  f.last().open();
  await settle();
  assert.deepEqual(f.last().sent, [{ type: "auth", token: "t1" }]);
  f.last().receive({ type: "balance", user_id: "u", balance: "0.00", seq: 0, unseen: 0 });
  f.last().receive(update(1));
  f.last().receive({ ...update(2), notification: { id: 9 }, unseen: 1 });
  f.last().drop();
  assert.equal(conn.state, "waiting");
  f.tick();
  await settle();
  assert.equal(f.last().url, "wss://hub.example/ws/balance?since=2");
  f.last().open();
  await settle();
  assert.deepEqual(f.last().sent, [{ type: "auth", token: "t2" }]);
  // The opening at since, then what the hub might send twice around a reconnect.
  f.last().receive({ type: "balance", user_id: "u", balance: "2.00", seq: 2, unseen: 1 });
  f.last().receive({ ...update(2), notification: { id: 9 } });
  f.last().receive(update(3));
  f.last().receive(update(3));
  f.last().receive(update(4));
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.deepEqual(notes, [9]);
  assert.deepEqual(unseen, [0, 1, 1]);
  assert.equal(conn.lastSeq, 4);
  assert.deepEqual(states.filter(([s]) => s === "open"), [["open", false], ["open", true]]);
  conn.close();
  assert.deepEqual(f.last().closed, { code: 1000, reason: "closed by the page" });
  f.last().drop();
  assert.equal(f.timers.size, 0, "no try after close");
  assert.equal(f.listening("online"), 0);
});

test("since given: only later seqs come, and a gap re-reads from the last one applied", async () => {
  const f = fakes();
  const seen = [];
  connectBalance({ url: "http://127.0.0.1:8080", token: "tok", since: 10, ...f.env, onUpdate: (m) => seen.push(m.seq) });
  await settle();
  assert.equal(f.last().url, "ws://127.0.0.1:8080/ws/balance?since=10");
  f.last().open();
  await settle();
  f.last().receive({ type: "balance", user_id: "u", balance: "1.00", seq: 10 });
  f.last().receive(update(11));
  f.last().receive(update(13));
  assert.equal(f.sockets[0].closed.code, 4000);
  await settle();
  assert.equal(f.sockets.length, 2, "re-read at once, not after a back-off");
  assert.equal(f.last().url, "ws://127.0.0.1:8080/ws/balance?since=11");
  f.sockets[0].drop();  // the old socket's late close must not start a third
  assert.equal(f.timers.size, 0);
  assert.deepEqual(seen, [11]);
});

test("failed tries wait longer each time; an accepted socket starts the back-off over", async () => {
  const f = fakes();
  connectBalance({ url: "http://h", token: "t", backoff: { initialMs: 100, maxMs: 1000 }, ...f.env });
  const waits = [];
  for (let i = 0; i < 6; i++) {
    await settle();
    f.last().drop();
    waits.push(...f.tick());
  }
  assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
  await settle();
  f.last().open();
  await settle();
  f.last().receive({ type: "balance", user_id: "u", balance: "0", seq: 0 });
  f.last().drop();
  assert.deepEqual(f.tick(), [100]);
});

test("offline: the socket is dropped and no try is made until the browser is online again", async () => {
  const f = fakes();
  const states = [];
  connectBalance({ url: "http://h", token: "t", ...f.env, onState: (s) => states.push(s) });
  await settle();
  f.last().open();
  await settle();
  f.last().receive({ type: "balance", user_id: "u", balance: "0", seq: 3 });
  f.env.online = false;
  f.emit("offline");
  assert.equal(f.sockets[0].closed.code, 1000);
  f.sockets[0].drop();
  assert.equal(states.at(-1), "offline");
  assert.equal(f.timers.size, 0);
  f.env.online = true;
  f.emit("online");
  await settle();
  assert.equal(f.sockets.length, 2);
  assert.equal(f.last().url, "ws://h/ws/balance?since=3");
});

test("a token that cannot be had is a failed try, and the next try asks again", async () => {
  const f = fakes();
  let calls = 0;
  const states = [];
  connectSeller({ url: "http://h", getToken: () => { if (++calls === 1) throw new Error("expired"); return "fresh"; }, ...f.env, onState: (s) => states.push(s) });
  await settle();
  assert.equal(f.sockets.length, 0);
  assert.equal(states.at(-1), "waiting");
  f.tick();
  await settle();
  assert.equal(f.last().url, "ws://h/ws/seller?token=fresh");
});

test("seller: each socket's first payment errors are a snapshot, later ones news", async () => {
  const f = fakes();
  const got = [];
  connectSeller({ url: "http://h", token: "s", ...f.env, onPaymentErrors: (e, snapshot) => got.push([e.length, snapshot]),
    onMetrics: (m) => got.push(m.total_active), onGap: (p) => got.push(p.reference) });
  for (let round = 0; round < 2; round++) {
    await settle();
    f.last().open();
    f.last().receive({ type: "metrics-update", data: { total_active: round } });
    f.last().receive({ type: "payment-errors-update", data: [{}, {}] });
    f.last().receive({ type: "payment-gap", data: { reference: "r" + round } });
    f.last().receive({ type: "payment-errors-update", data: [{}] });
    f.last().drop();
    f.tick();
  }
  assert.deepEqual(got, [0, [2, true], "r0", [1, false], 1, [2, true], "r1", [1, false]]);
});
