// `/ws/balance` for one wallet user, resumed across reconnects: the client keeps the last seq
// it gave the page, drops any message at or below it, and reconnects with `?since=` that seq,
// so the page sees every seq once and in order whatever dropped in between (the hub's
// promise, README "Balance rooms": nothing after `since` is skipped, nothing sent twice).
import type { BalanceMessage, BalanceSocketMessage, BalanceUpdateMessage, Notification } from "./messages.js";
import { Reconnector, socketURL } from "./reconnect.js";
import type { BackoffOptions, ConnectionState, Environment, StateInfo } from "./reconnect.js";

export type TokenSource = { token: string; getToken?: undefined } | { token?: undefined; getToken: () => string | Promise<string> };

export type BalanceOptions = TokenSource & {
  /** The hub: `https://hub.example` (or `wss://…`). */
  url: string;
  /** The last seq the page already has (kept from an earlier visit, say): only later ones come. */
  since?: number;
  /** The opening balance (when newer than `since`) and every update after it, each seq once. */
  onUpdate?: (message: BalanceMessage | BalanceUpdateMessage) => void;
  /** A notification pushed with an update or on its own. */
  onNotification?: (notification: Notification) => void;
  /** The user's unseen count, whenever the hub says it. */
  onUnseen?: (unseen: number) => void;
  onState?: (state: ConnectionState, info: StateInfo) => void;
  backoff?: BackoffOptions;
} & Environment;

export interface BalanceConnection {
  /** The last seq given to the page (null before the first). */
  readonly lastSeq: number | null;
  readonly state: ConnectionState;
  close(): void;
}

/** What to do with one message, given the last seq applied (sans-I/O, so it is unit-tested). */
export type BalanceStep =
  | { action: "apply"; seq: number }
  | { action: "drop" }
  | { action: "gap"; expected: number }
  | { action: "other" };

export function balanceStep(message: BalanceSocketMessage, last: number | null): BalanceStep {
  if (message.type === "balance") {
    // The opening: the balance at `since` (already had: seq == last) or now (a first connect).
    return last === null || message.seq > last ? { action: "apply", seq: message.seq } : { action: "drop" };
  }
  if (message.type === "balance_update") {
    if (last !== null && message.seq <= last) return { action: "drop" };
    // Never seen from a hub that kept its promise; if it happens, re-reading from `last`
    // is what fills it, so the update is not given out of order.
    if (last !== null && message.seq !== last + 1) return { action: "gap", expected: last + 1 };
    return { action: "apply", seq: message.seq };
  }
  return { action: "other" };
}

export function connectBalance(options: BalanceOptions): BalanceConnection {
  let last: number | null = options.since ?? null;
  let recoveringFrom: number | null = null;
  const reconnector = new Reconnector({
    url: () => {
      recoveringFrom = last;
      return socketURL(options.url, "/ws/balance", { since: last ?? undefined });
    },
    // The token goes in the first message, not the URL: proxies log URLs, and a fresh one
    // is asked for each socket, so an expired token is replaced on the next reconnect.
    opened: async (socket) => {
      const token = options.getToken ? await options.getToken() : options.token;
      socket.send(JSON.stringify({ type: "auth", token }));
    },
    message: (raw) => {
      const message = raw as BalanceSocketMessage;
      if (typeof message !== "object" || message === null) return;
      const step = balanceStep(message, last);
      switch (step.action) {
        case "drop": break;
        case "gap": reconnector.restart("seq gap: expected " + step.expected); return;
        case "apply":
          last = step.seq;
          options.onUpdate?.(message as BalanceMessage | BalanceUpdateMessage);
          if (message.type === "balance_update" && message.notification) options.onNotification?.(message.notification);
          break;
        case "other":
          if (message.type === "notification") options.onNotification?.(message.notification);
          break;
      }
      // The count is news even on a message whose seq the page had (the opening after a resume).
      if ("unseen" in message && typeof message.unseen === "number") options.onUnseen?.(message.unseen);
    },
    state: (state, info) => {
      // `recovered`: this socket resumed from the seq the page had, rather than starting over.
      if (state === "open") info = { ...info, recovered: recoveringFrom !== null };
      options.onState?.(state, info);
    },
  }, options.backoff, options);
  reconnector.start();
  return {
    get lastSeq() { return last; },
    get state() { return reconnector.state; },
    close: () => reconnector.close(),
  };
}
