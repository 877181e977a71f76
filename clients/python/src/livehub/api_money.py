"""The money side of the server API (README "Money, payments and activity"): the ledger,
payments, activity and provider webhooks. Each method describes its call once; the client
that mixes this in (sync or async) runs it, so an async client's methods are awaited."""
from decimal import Decimal
from typing import Any, Dict, Optional, Union

from .calls import Call, Page, Retry, Transaction
from .webhooks import SignedWebhook

Amount = Union[Decimal, str, int]
LEDGER_TYPES = ("credit", "sms_purchase", "debit", "refund")


def _amount(value: Amount) -> str:
    # A float would already have lost cents before the hub sees it (0.1 + 0.2); the hub
    # takes a decimal string exactly.
    if isinstance(value, float):
        raise TypeError("give amounts as Decimal, str or int, never float")
    return str(value)


def _transaction(status: int, headers: Any, body: Any) -> Transaction:
    return Transaction(body, created=status == 201)


def _webhook_log(status: int, headers: Any, body: Any) -> Page:
    return Page(body, headers.get("livehub-next-before"))


class MoneyAPI:
    def _run(self, call: Call) -> Any:  # the client's: sends, retries, parses
        raise NotImplementedError

    # -- the ledger

    def write_transaction(self, user_id: str, amount: Amount, type: str, reference: str, description: str = "",
                          service: Optional[str] = None, payment_reference: Optional[str] = None,
                          email: Optional[str] = None) -> Any:
        """`POST /api/wallet/transactions`: a `Transaction` with `balance_after`. The
        `reference` is the write's identity: a retry (this client's own, after a lost
        answer, or the caller's) answers the original and charges nothing (`created` is
        False); the same reference for another user, amount or type raises
        `ReferenceConflict`. `payment_reference` marks that payment credited in the same
        write; `email` becomes the user's notification address."""
        if type not in LEDGER_TYPES:
            raise ValueError(f"type must be one of {', '.join(LEDGER_TYPES)}")
        if not reference:
            raise ValueError("reference is required: it is what makes a retry charge once")
        body: Dict[str, Any] = {"user_id": user_id, "amount": _amount(amount), "type": type,
                                "description": description, "reference": reference}
        for name, value in (("service", service), ("payment_reference", payment_reference), ("email", email)):
            if value is not None:
                body[name] = value
        return self._run(Call("POST", "/api/wallet/transactions", json_body=body, retry=Retry.ALWAYS, parse=_transaction))

    def transactions(self, user_id: Optional[str] = None, type: Optional[str] = None, start_date: Optional[str] = None,
                     end_date: Optional[str] = None, skip: Optional[int] = None, limit: Optional[int] = None) -> Any:
        """Newest first (a balance token: its own user's only)."""
        return self._run(Call("GET", "/api/wallet/transactions", params={
            "user_id": user_id, "type": type, "start_date": start_date, "end_date": end_date, "skip": skip, "limit": limit}))

    def transaction(self, transaction_id: int) -> Any:
        return self._run(Call("GET", f"/api/wallet/transactions/{int(transaction_id)}"))

    def balance(self, user_id: Optional[str] = None) -> Any:
        """`{user_id, balance}`; a balance token may leave `user_id` out (its own)."""
        return self._run(Call("GET", "/api/wallet/balance", params={"user_id": user_id}))

    def transactions_monitor(self, minutes: int = 60) -> Any:
        return self._run(Call("GET", "/api/admin/transactions/monitor", params={"minutes": minutes}))

    # -- payments

    def payment_event(self, reference: str, provider: str, stage: str, amount: Optional[Amount] = None,
                      currency: Optional[str] = None, **fields: Any) -> Any:
        """`POST /api/payments/events` (stage `initialized`, `completed`, `webhook_received`,
        `credited` or `failed`); `fields`: `user_id`, `email`, `phone`, `plan`,
        `error_message`, `provider_reference`. Answers the payment as it is now."""
        body: Dict[str, Any] = {"reference": reference, "provider": provider, "stage": stage, **fields}
        if amount is not None:
            body["amount"] = _amount(amount)
        if currency is not None:
            body["currency"] = currency
        return self._run(Call("POST", "/api/payments/events", json_body=body, retry=Retry.IF_NOT_DONE))

    def payments(self, **filters: Any) -> Any:
        """The newest 500 that match `email`, `phone`, `user_id`, `status`, `provider`, `reference`."""
        return self._run(Call("GET", "/api/payments", params=filters))

    def payment_stats(self, window: str = "24h") -> Any:
        return self._run(Call("GET", "/api/payments/stats", params={"window": window}))

    def payment_gaps(self) -> Any:
        """Open problems: `kind` `gap`, `unmatched` or `amount_mismatch`."""
        return self._run(Call("GET", "/api/payments/gaps"))

    def resolve_payment(self, reference: str, note: Optional[str] = None) -> Any:
        # The body form takes any reference, `/` included; each call appends to the trail.
        return self._run(Call("POST", "/api/payments/resolve", json_body={"reference": reference, "note": note},
                              retry=Retry.IF_NOT_DONE))

    def credit_payment(self, reference: str, user_id: Optional[str] = None, amount: Optional[Amount] = None,
                       note: Optional[str] = None) -> Any:
        """Support's credit of a confirmed payment: one ledger credit with reference
        `payment-credit:REF`, so a retry answers the original (`created` False)."""
        body: Dict[str, Any] = {"reference": reference, "user_id": user_id, "note": note}
        if amount is not None:
            body["amount"] = _amount(amount)
        return self._run(Call("POST", "/api/payments/credit", json_body=body, retry=Retry.ALWAYS, parse=_transaction))

    def check_payment(self, reference: str) -> Any:
        """Asks the provider now (README "Reconciliation")."""
        return self._run(Call("POST", "/api/payments/check", json_body={"reference": reference}, retry=Retry.IF_NOT_DONE))

    def payment_checks(self, reference: str) -> Any:
        return self._run(Call("GET", "/api/payments/checks", params={"reference": reference}))

    def reconcile(self) -> Any:
        return self._run(Call("POST", "/api/payments/reconcile", retry=Retry.IF_NOT_DONE))

    # -- activity

    def record_activity(self, action: str, status: str, user_id: Optional[str] = None, email: Optional[str] = None,
                        details: Any = None, error_message: Optional[str] = None) -> Any:
        body = {"action": action, "status": status, "user_id": user_id, "email": email, "details": details,
                "error_message": error_message}
        return self._run(Call("POST", "/api/activity", json_body={k: v for k, v in body.items() if v is not None},
                              retry=Retry.IF_NOT_DONE))

    def activity(self, user_id: Optional[str] = None, email: Optional[str] = None) -> Any:
        """One user's journey, oldest first."""
        return self._run(Call("GET", "/api/activity", params={"user_id": user_id, "email": email}))

    def funnels(self, window: str = "24h") -> Any:
        return self._run(Call("GET", "/api/funnels", params={"window": window}))

    # -- provider webhooks

    def webhook_log(self, provider: Optional[str] = None, reference: Optional[str] = None, limit: Optional[int] = None,
                    before: Optional[int] = None) -> Any:
        """A `Page` of deliveries, newest first; `next_before` continues it."""
        return self._run(Call("GET", "/api/webhooks/log", params={"provider": provider, "reference": reference,
                                                                  "limit": limit, "before": before}, parse=_webhook_log))

    def deliver_webhook(self, webhook: SignedWebhook) -> Any:
        """Posts a test delivery made by `livehub.webhooks` as the provider would: its bytes,
        its headers, no credential. Answers `{status, duplicate, …}`; a signature the hub
        does not accept raises `Unauthorized`."""
        # Never repeated on a lost answer: a second delivery is answered `duplicate`, which
        # is not what a test of the first one wants to see.
        return self._run(Call("POST", webhook.path, raw_body=webhook.body, headers=dict(webhook.headers),
                              retry=Retry.IF_NOT_DONE, authenticated=False))

