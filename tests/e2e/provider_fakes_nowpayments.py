"""NOWPayments' payment status API, faked for provider_fakes.ProviderFakes.

Imitates, from NOWPayments' public API reference (the Postman documenter,
https://documenter.getpostman.com/view/7907941/S1a32n38, also published as the OpenAPI
description "NOWPayments API" 1.0.0):
- authentication - every request carries the API key in the x-api-key header (the
  reference's collection-level auth: apikey, key x-api-key, in header);
- GET /v1/payment/{payment_id} - "Get payment status": "Get the actual information about
  the payment", with the statuses waiting, confirming, confirmed, sending, partially_paid,
  finished, failed, refunded, expired, and the fields of its example (payment_id,
  payment_status, pay_address, price_amount, price_currency, pay_amount, actually_paid,
  pay_currency, order_id, order_description, purchase_id, created_at, updated_at,
  outcome_amount, outcome_currency); the IPN section says a notification's body "is similar
  to a get payment status response body", so actually_paid_at_fiat (which the IPNs carry and
  LiveHub's Sources/Webhooks/NOWPayments.swift reads for partially_paid) is here too.
A wrong or missing key is 403 {"status": false, "statusCode": 403, "code": "INVALID_API_KEY",
"message": "Invalid api key"}: the reference does not print that body; status and code are
what integrators report the live API answering. An unknown payment id is our choice too
(404, code PAYMENT_NOT_FOUND): the reference shows no example of it.
"""
import copy
import datetime
import hmac
import threading

STATUSES = ("waiting", "confirming", "confirmed", "sending", "partially_paid", "finished", "failed", "refunded", "expired")
# What has arrived from the customer, by status (the reference's descriptions: nothing while
# waiting or after expiring; "less than the actual price" when partially_paid).
NOTHING_ARRIVED = ("waiting", "expired")


def now_iso():
    """The reference's time format: 2021-04-12T14:22:54.942Z (UTC)."""
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def body(status, code, message):
    return {"status": False, "statusCode": status, "code": code, "message": message}


class NOWPaymentsFake:
    def __init__(self, key):
        self.key = key
        self._lock = threading.Lock()
        self._payments = {}  # str(payment_id) -> payment

    def payment(self, payment_id, order_id, status="finished", price_amount=49.99, price_currency="usd",
                pay_amount=None, pay_currency="btc", actually_paid=None, actually_paid_at_fiat=None,
                outcome_amount=None, outcome_currency=None, order_description="LiveHub order", purchase_id=None,
                created_at=None, updated_at=None):
        """NOWPayments knows this payment (replacing one with the same id). pay_amount defaults
        to a made-up rate of price_amount; actually_paid to nothing while waiting or expired,
        half of pay_amount when partially_paid, else pay_amount; actually_paid_at_fiat to the
        same share of price_amount."""
        if status not in STATUSES:
            raise ValueError(f"payment_status {status!r} is none of the documented {STATUSES}")
        pay_amount = round(price_amount / 65000, 8) if pay_amount is None else pay_amount
        if actually_paid is None:
            actually_paid = 0 if status in NOTHING_ARRIVED else \
                round(pay_amount / 2, 8) if status == "partially_paid" else pay_amount
        if actually_paid_at_fiat is None:
            actually_paid_at_fiat = round(price_amount * actually_paid / pay_amount, 2) if pay_amount else 0
        created = created_at or now_iso()
        payment = {
            "payment_id": int(payment_id), "invoice_id": None, "payment_status": status,
            "pay_address": "3EZ2uTdVDAMFXTfc6uLDDKR6o8qKBZXVkj", "payin_extra_id": None,
            "price_amount": price_amount, "price_currency": price_currency, "pay_amount": pay_amount,
            "actually_paid": actually_paid, "actually_paid_at_fiat": actually_paid_at_fiat,
            "pay_currency": pay_currency, "order_id": order_id, "order_description": order_description,
            "purchase_id": str(purchase_id or 4944856743 + int(payment_id) % 1000000),
            "outcome_amount": outcome_amount if outcome_amount is not None else round(pay_amount * 0.995, 8),
            "outcome_currency": outcome_currency or pay_currency, "payout_hash": None,
            "payin_hash": None if status in NOTHING_ARRIVED else "0x" + ("%064x" % int(payment_id)),
            "created_at": created, "updated_at": updated_at or created, "burning_percent": None,
            "type": "crypto2crypto",
        }
        with self._lock:
            self._payments[str(payment_id)] = payment
        return payment

    # --- HTTP --------------------------------------------------------------------------------

    def failure(self, status):
        return body(status, "INTERNAL_ERROR" if status >= 500 else "REQUEST_FAILED", "Internal server error"
                    if status >= 500 else "Request failed")

    def refusal(self, request):
        # x-api-key header; refused with 403 INVALID_API_KEY (see the module's docstring).
        given = request.headers.get("x-api-key", "")
        if not given or not hmac.compare_digest(given.encode(), self.key.encode()):
            return 403, body(403, "INVALID_API_KEY", "Invalid api key"), {}
        return None

    def answer(self, request):
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "payment"]:
            return self.status(parts[2])
        return 404, body(404, "NOT_FOUND", f"Cannot {request.method} {request.path}"), {}

    def status(self, payment_id):
        """GET /v1/payment/{payment_id} ("Get payment status"): the payment as it is now."""
        if not payment_id.isdigit():
            return 400, body(400, "INVALID_REQUEST_PARAMS", '"payment_id" must be a number'), {}
        with self._lock:
            payment = copy.deepcopy(self._payments.get(str(int(payment_id))))
        if payment is None:
            return 404, body(404, "PAYMENT_NOT_FOUND", "Payment not found"), {}
        return 200, payment, {}
