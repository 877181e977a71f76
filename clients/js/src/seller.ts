// `/ws/seller`: the live metrics, payment errors, gaps and alerts, with the same reconnect as
// the balance socket. There is no seq here: each socket the hub accepts starts with the whole
// state (the metrics, the recent errors, the open gaps), so a page that resets what it shows
// when `onState("open")` comes loses nothing a reconnect skipped, bar alerts (read
// `GET /api/alerts` for those).
import type { Alert, LiveMetrics, Payment, PaymentError, SellerSocketMessage } from "./messages.js";
import { Reconnector, socketURL } from "./reconnect.js";
import type { BackoffOptions, ConnectionState, Environment, StateInfo } from "./reconnect.js";
import type { TokenSource } from "./balance.js";

export type SellerOptions = (TokenSource | { token?: undefined; getToken?: undefined }) & {
  /** The hub: `https://hub.example`. Without a token, the console's session cookie lets a page of the hub itself in. */
  url: string;
  onMetrics?: (metrics: LiveMetrics) => void;
  /** `snapshot`: the recent errors a new socket starts with (newest first); else new ones. */
  onPaymentErrors?: (errors: PaymentError[], snapshot: boolean) => void;
  onGap?: (payment: Payment) => void;
  onGapClosed?: (closed: { reference: string; kind: string }) => void;
  onAlert?: (alert: Alert) => void;
  /** Every message, the ones above included. */
  onMessage?: (message: SellerSocketMessage) => void;
  onState?: (state: ConnectionState, info: StateInfo) => void;
  backoff?: BackoffOptions;
} & Environment;

export interface SellerConnection {
  readonly state: ConnectionState;
  close(): void;
}

export function connectSeller(options: SellerOptions): SellerConnection {
  let errorsSeen = false;
  const reconnector = new Reconnector({
    // A browser cannot set headers on a WebSocket, and this socket takes no first-message
    // auth: the token goes in `?token=` (asked afresh for each socket).
    url: async () => {
      const token = options.getToken ? await options.getToken() : options.token;
      return socketURL(options.url, "/ws/seller", { token });
    },
    opened: () => {},
    message: (raw, first) => {
      const message = raw as SellerSocketMessage;
      if (typeof message !== "object" || message === null) return;
      if (first) errorsSeen = false;
      switch (message.type) {
        case "metrics-update": options.onMetrics?.(message.data); break;
        case "payment-errors-update":
          options.onPaymentErrors?.(message.data, !errorsSeen);
          errorsSeen = true;
          break;
        case "payment-gap": options.onGap?.(message.data); break;
        case "payment-gap-closed": options.onGapClosed?.(message.data); break;
        case "alert": options.onAlert?.(message.data); break;
      }
      options.onMessage?.(message);
    },
    state: (state, info) => options.onState?.(state, info),
  }, options.backoff, options);
  reconnector.start();
  return {
    get state() { return reconnector.state; },
    close: () => reconnector.close(),
  };
}
