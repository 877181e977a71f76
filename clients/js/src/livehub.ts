// LiveHub's browser client: one ES module, no dependencies. The balance and seller sockets
// with resume and reconnect, the storefront tracker, and the hub's message types.
export { connectBalance, balanceStep } from "./balance.js";
export type { BalanceOptions, BalanceConnection, BalanceStep, TokenSource } from "./balance.js";
export { connectSeller } from "./seller.js";
export type { SellerOptions, SellerConnection } from "./seller.js";
export { backoffDelay, Reconnector } from "./reconnect.js";
export type { BackoffOptions, ConnectionState, Environment, SocketLike, SocketConstructor, StateInfo } from "./reconnect.js";
export { createTracker } from "./tracker.js";
export type { Tracker, TrackerOptions, Contact } from "./tracker.js";
export type { Transaction, Notification, BalanceMessage, BalanceUpdateMessage, NotificationMessage, UnseenMessage, BalanceSocketMessage, LiveMetrics, PaymentError, Payment, Alert, SellerSocketMessage } from "./messages.js";
