// React hooks over the LiveHub sockets. Hooks that name the same hub and credentials share one
// socket (a component with `useBalance` and `useNotifications` opens one, and re-renders open
// none): each socket is kept in a table by its arguments, counted by its subscribers, and
// closed when the last one leaves. React is the page's own (`import … from "react"`, 18+,
// for `useSyncExternalStore`, which keeps a render from tearing between two sockets' news).
import { useCallback, useSyncExternalStore } from "react";
import { connectBalance } from "./balance.js";
import { connectSeller } from "./seller.js";
import { createTracker } from "./tracker.js";
import type { Tracker, TrackerOptions } from "./tracker.js";
import type { Alert, BalanceUpdateMessage, LiveMetrics, Notification, Payment, PaymentError } from "./messages.js";
import type { BackoffOptions, ConnectionState } from "./reconnect.js";

export interface HookOptions {
  /** The hub: `https://hub.example`. */
  url: string;
  token?: string;
  /** Asked for a fresh token on each (re)connect; the latest function given is the one used. */
  getToken?: () => string | Promise<string>;
  /** Tells apart sockets with a `getToken` and no `token` (one per user, say). */
  key?: string;
  backoff?: BackoffOptions;
}

export interface BalanceView {
  balance: number | null;
  seq: number | null;
  lastUpdate: BalanceUpdateMessage | null;
  unseen: number | null;
  /** Newest first, at most 50, each id once. */
  notifications: Notification[];
  state: ConnectionState;
}

export interface SellerView {
  metrics: LiveMetrics | null;
  /** Newest first, at most 50. */
  paymentErrors: PaymentError[];
  /** The open gaps by reference. */
  gaps: Record<string, Payment>;
  /** Newest first, at most 50, since this socket was opened. */
  alerts: Alert[];
  state: ConnectionState;
}

interface Entry<View> {
  view: View;
  listeners: Set<() => void>;
  refs: number;
  closing: ReturnType<typeof setTimeout> | null;
  getToken?: () => string | Promise<string>;
  close: () => void;
}

const entries = new Map<string, Entry<unknown>>();
const LIMIT = 50;

/** The socket of `key`, opened by `open` if none is; `open` gets the setter of the view. */
function acquire<View>(key: string, initial: View, open: (entry: Entry<View>, update: (change: (view: View) => View) => void) => () => void): Entry<View> {
  let entry = entries.get(key) as Entry<View> | undefined;
  if (!entry) {
    const made: Entry<View> = { view: initial, listeners: new Set(), refs: 0, closing: null, close: () => {} };
    entries.set(key, made as Entry<unknown>);
    // Each change makes a new view object: useSyncExternalStore re-renders on a new identity.
    made.close = open(made, (change) => {
      made.view = change(made.view);
      for (const listener of made.listeners) listener();
    });
    entry = made;
  }
  if (entry.closing !== null) clearTimeout(entry.closing);
  entry.closing = null;
  entry.refs += 1;
  return entry;
}

/** The close waits a tick: StrictMode's unmount-and-mount, or a hook moving between two
 *  components in one commit, keeps the socket instead of reopening it. */
function release(key: string, entry: Entry<unknown>): void {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  entry.closing = setTimeout(() => {
    if (entry.refs > 0 || entries.get(key) !== entry) return;
    entries.delete(key);
    entry.close();
  }, 0);
}

function useShared<View>(kind: string, options: HookOptions, initial: View,
                         open: (entry: Entry<View>, update: (change: (view: View) => View) => void) => () => void): View {
  const key = [kind, options.url, options.token ?? "", options.key ?? ""].join("\u0000");
  const existing = entries.get(key);
  if (existing && options.getToken) existing.getToken = options.getToken;
  const subscribe = useCallback((notify: () => void) => {
    const entry = acquire(key, initial, open);
    if (options.getToken) entry.getToken = options.getToken;
    entry.listeners.add(notify);
    return () => { entry.listeners.delete(notify); release(key, entry as Entry<unknown>); };
    // Only the key opens a new socket: the callbacks and options of later renders are not news.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const snapshot = useCallback(() => ((entries.get(key) as Entry<View> | undefined)?.view ?? initial), [key]);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

const initialBalance: BalanceView = { balance: null, seq: null, lastUpdate: null, unseen: null, notifications: [], state: "connecting" };

function useBalanceView(options: HookOptions): BalanceView {
  return useShared<BalanceView>("balance", options, initialBalance, (entry, update) => {
    const credentials = options.token !== undefined ? { token: options.token } : { getToken: () => entry.getToken!() };
    const connection = connectBalance({
      url: options.url, backoff: options.backoff, ...credentials,
      onUpdate: (m) => update((v) => ({ ...v, balance: m.balance, seq: m.seq, lastUpdate: m.type === "balance_update" ? m : v.lastUpdate })),
      onNotification: (n) => update((v) => ({ ...v, notifications: [n, ...v.notifications.filter((o) => o.id !== n.id)].slice(0, LIMIT) })),
      onUnseen: (unseen) => update((v) => ({ ...v, unseen })),
      onState: (state) => update((v) => ({ ...v, state })),
    });
    return () => connection.close();
  });
}

/** The user's balance, live: `{balance, seq, lastUpdate, unseen, state}`. */
export function useBalance(options: HookOptions): Pick<BalanceView, "balance" | "seq" | "lastUpdate" | "unseen" | "state"> {
  return useBalanceView(options);
}

/** The notifications pushed since the socket opened (newest first) and the unseen count. */
export function useNotifications(options: HookOptions): Pick<BalanceView, "notifications" | "unseen" | "state"> {
  return useBalanceView(options);
}

const initialSeller: SellerView = { metrics: null, paymentErrors: [], gaps: {}, alerts: [], state: "connecting" };

/** The seller room, live: metrics, payment errors, open gaps, alerts. */
export function useLiveMetrics(options: HookOptions): SellerView {
  return useShared<SellerView>("seller", options, initialSeller, (entry, update) => {
    const credentials = options.token !== undefined ? { token: options.token } : options.getToken ? { getToken: () => entry.getToken!() } : {};
    const connection = connectSeller({
      url: options.url, backoff: options.backoff, ...credentials,
      onMetrics: (metrics) => update((v) => ({ ...v, metrics })),
      onPaymentErrors: (errors, snapshot) => update((v) => ({ ...v, paymentErrors: (snapshot ? errors : [...errors, ...v.paymentErrors]).slice(0, LIMIT) })),
      onGap: (payment) => update((v) => ({ ...v, gaps: { ...v.gaps, [payment.reference]: payment } })),
      onGapClosed: ({ reference }) => update((v) => {
        const gaps = { ...v.gaps };
        delete gaps[reference];
        return { ...v, gaps };
      }),
      onAlert: (alert) => update((v) => ({ ...v, alerts: [alert, ...v.alerts].slice(0, LIMIT) })),
      // A new socket sends the open gaps again: forget those a reconnect may have seen closed.
      onState: (state) => update((v) => ({ ...v, state, gaps: state === "open" ? {} : v.gaps })),
    });
    return () => connection.close();
  });
}

// The storefront tracker in a React app: one per hub for the page (however many components ask,
// and however often they render), made the first time one is asked for.
const trackers = new Map<string, Tracker>();

/** The page's tracker for `options.base` (the options of the first call make it; a single-page
 *  app reports its routes with `pageVisit`). */
export function useTracker(options: TrackerOptions): Tracker {
  let tracker = trackers.get(options.base);
  if (!tracker) {
    tracker = createTracker(options);
    trackers.set(options.base, tracker);
  }
  return tracker;
}

/** `track(name, props)` of the page's tracker, the same function across renders:
 *  `const track = useTrack({ base }); <button onClick={() => track("add_to_cart", { sku })}>`. */
export function useTrack(options: TrackerOptions): Tracker["track"] {
  const tracker = useTracker(options);
  return useCallback<Tracker["track"]>((name, props) => tracker.track(name, props), [tracker]);
}
