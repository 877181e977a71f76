// The hub's WebSocket messages as it writes them (README "Balance rooms", "Notifications",
// "Seller room"). Amounts are JSON numbers written as exact decimals (`12.50`, from integer
// cents): JSON.parse reads them as doubles, exact to the cent up to 2^53 / 100, so a page shows
// them with `toFixed(places)` rather than adding them up as floats.

/** A ledger entry (`GET /api/wallet/transactions/{id}`). */
export interface Transaction {
  id: number;
  user_id: string;
  amount: number;
  type: "credit" | "sms_purchase" | "debit" | "refund" | string;
  description: string | null;
  service: string | null;
  reference: string;
  payment_reference: string | null;
  status: string | null;
  created_at: string;
  balance_after: number;
}

export interface Notification {
  id: number;
  /** The same as `kind` (the balance socket's older name for it). */
  type: string;
  kind: string;
  title: string;
  message: string;
  link: string | null;
  amount: number | null;
  currency: string | null;
  balance_after: number | null;
  reference: string | null;
  status: "unseen" | "read" | "archived" | string;
  created_at: string;
  read_at: string | null;
  archived_at: string | null;
  pushed: boolean;
  email: string | null;
}

/** A balance socket's first message: the balance at `seq` (at `since` when asked). */
export interface BalanceMessage {
  type: "balance";
  user_id: string;
  balance: number;
  seq: number;
  unseen?: number;
}

/** One ledger entry of the user, `seq` 1, 2, 3…, with its notification when one was pushed. */
export interface BalanceUpdateMessage {
  type: "balance_update";
  seq: number;
  balance: number;
  transaction: Transaction;
  notification?: Notification;
  unseen?: number;
  timestamp: string;
}

/** A notification that is no ledger entry's (never replayed: read the inbox after a gap). */
export interface NotificationMessage {
  type: "notification";
  notification: Notification;
  unseen: number;
}

export interface UnseenMessage {
  type: "notifications_unseen";
  unseen: number;
}

export type BalanceSocketMessage = BalanceMessage | BalanceUpdateMessage | NotificationMessage | UnseenMessage;

/** `GET /api/metrics/live-metrics`: who is where now. */
export interface LiveMetrics {
  homepage: number;
  checkout: number;
  payment: number;
  payment_errors: number;
  categories: Record<string, number>;
  offers: Record<string, number>;
  pages: Record<string, number>;
  total_active: number;
  updated_at: string;
}

export interface PaymentError {
  id: number;
  session_id: string;
  occurred_at: string;
  email: string | null;
  phone: string | null;
  checkout_items: unknown;
  total_amount: string | null;
  payment_method: string | null;
  error_code: string;
  error_message: string;
  error_details: unknown;
  ip: string | null;
  user_agent: string | null;
}

/** A payment as `GET /api/payments` shows it; `payment-gap` sends one that became a gap. */
export interface Payment {
  reference: string;
  provider: string;
  status: string;
  stage: string;
  amount: number | null;
  currency: string | null;
  user_id: string | null;
  kind?: string;
  [field: string]: unknown;
}

export interface Alert {
  id: number;
  kind: string;
  severity: string;
  title: string;
  message: string;
  user_id: string | null;
  reference: string | null;
  created_at: string;
}

export type SellerSocketMessage =
  | { type: "metrics-update"; data: LiveMetrics }
  | { type: "payment-errors-update"; data: PaymentError[] }
  | { type: "payment-gap"; data: Payment }
  | { type: "payment-gap-closed"; data: { reference: string; kind: string } }
  | { type: "alert"; data: Alert }
  | { type: "metrics-heartbeat"; data: null };
