"""Test deliveries signed exactly as the hub verifies them (Sources/Webhooks/*.swift), for a
shop's own tests and staging: Paystack and NOWPayments (a hex HMAC-SHA512 header), Stripe
(`Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of "t.body"), and M-Pesa, which signs nothing:
its callback URL carries the hub's `--mpesa-token`. Send one with `client.deliver_webhook`."""
import hashlib
import hmac
import json
import time
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Union
from urllib.parse import quote

Secret = Union[str, bytes]


@dataclass(frozen=True)
class SignedWebhook:
    """One delivery: where it goes on the hub, the exact bytes, and the headers."""
    path: str
    body: bytes
    headers: Dict[str, str] = field(default_factory=dict)


def _key(secret: Secret) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _body(payload: Union[dict, bytes, str]) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload).encode("utf-8")


# -- Paystack: `x-paystack-signature`, hex HMAC-SHA512 of the raw body with the secret key.

def sign_paystack(secret: Secret, body: Union[dict, bytes, str]) -> SignedWebhook:
    raw = _body(body)
    signature = hmac.new(_key(secret), raw, hashlib.sha512).hexdigest()
    return SignedWebhook("/api/webhooks/paystack", raw, {"Content-Type": "application/json", "x-paystack-signature": signature})


def paystack_charge(secret: Secret, reference: str, amount_minor: int, currency: str = "NGN",
                    email: Optional[str] = None, event: str = "charge.success", charge_id: int = 302961) -> SignedWebhook:
    """A `charge.success` (or `charge.failed`) event shaped as Paystack documents it; the
    amount in the currency's subunit (kobo). `charge_id` is Paystack's `data.id`: one
    delivery per event and id, a second is `duplicate`."""
    return sign_paystack(secret, {"event": event, "data": {
        "id": charge_id, "domain": "test", "status": "success" if event == "charge.success" else "failed",
        "reference": reference, "amount": amount_minor, "currency": currency,
        "gateway_response": "Approved" if event == "charge.success" else "Declined",
        "customer": {"email": email} if email else {}}})


# -- NOWPayments: `x-nowpayments-sig`, hex HMAC-SHA512 of the JSON re-serialized with every
# object's keys sorted, compact, as the hub's JSON writer writes it (not of the raw bytes).

def _hub_string(text: str) -> str:
    # The hub's writer escapes `"`, `\`, \n, \r, \t, and other control bytes as \u00XX;
    # everything else (`/`, non-ASCII) goes as UTF-8. Python's own `\b`/`\f` would differ.
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class _Number(str):
    """A JSON number's text as the body has it: the hub keeps numbers as written."""


def hub_json(value: Any, sort_keys: bool = False) -> str:
    """Compact JSON as the hub's writer writes it; with `sort_keys`, the form NOWPayments
    (and the hub) sign. Decimals and numbers read from a body are written as their text."""
    if isinstance(value, dict):
        items = sorted(value.items()) if sort_keys else value.items()
        return "{" + ",".join(_hub_string(str(k)) + ":" + hub_json(v, sort_keys) for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hub_json(v, sort_keys) for v in value) + "]"
    if isinstance(value, (_Number, Decimal)):
        return str(value)
    if isinstance(value, str):
        return _hub_string(value)
    return json.dumps(value)


def sign_nowpayments(secret: Secret, payload: Union[dict, bytes, str]) -> SignedWebhook:
    raw = payload.encode("utf-8") if isinstance(payload, str) else payload if isinstance(payload, bytes) else hub_json(payload).encode("utf-8")
    # Read back as the hub reads it, every number kept as its text.
    signed = hub_json(json.loads(raw, parse_float=_Number, parse_int=_Number), sort_keys=True).encode("utf-8")
    signature = hmac.new(_key(secret), signed, hashlib.sha512).hexdigest()
    return SignedWebhook("/api/webhooks/nowpayments", raw, {"Content-Type": "application/json", "x-nowpayments-sig": signature})


def nowpayments_ipn(secret: Secret, order_id: str, price_amount: Union[Decimal, str, int], price_currency: str = "usd",
                    status: str = "finished", payment_id: int = 5077125051) -> SignedWebhook:
    """An IPN shaped as NOWPayments documents it (keys in its order, not sorted);
    `order_id` is the hub's reference, `price_amount` the shop's price (a JSON number)."""
    return sign_nowpayments(secret, {
        "payment_id": payment_id, "payment_status": status, "pay_address": "0xd1cDE08A07a",
        "price_amount": Decimal(str(price_amount)), "price_currency": price_currency, "pay_amount": Decimal("155.38559757"),
        "actually_paid": Decimal("155.38559757"), "pay_currency": "mana", "order_id": order_id,
        "order_description": "test", "purchase_id": "6084744717"})


# -- Stripe: `Stripe-Signature: t=TIMESTAMP,v1=HEX`, HMAC-SHA256 of "TIMESTAMP." + body with the
# endpoint's signing secret; the hub refuses a timestamp more than 300 s from its clock.

def sign_stripe(secret: Secret, body: Union[dict, bytes, str], timestamp: Optional[int] = None) -> SignedWebhook:
    raw = _body(body)
    t = int(time.time()) if timestamp is None else int(timestamp)
    signature = hmac.new(_key(secret), f"{t}.".encode("ascii") + raw, hashlib.sha256).hexdigest()
    return SignedWebhook("/api/webhooks/stripe", raw, {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={signature}"})


def stripe_checkout_completed(secret: Secret, reference: str, amount_minor: int, currency: str = "usd",
                              email: Optional[str] = None, event_id: str = "evt_test_1",
                              timestamp: Optional[int] = None) -> SignedWebhook:
    """A `checkout.session.completed` event; `client_reference_id` is the hub's reference,
    `amount_total` in the currency's smallest unit. One delivery per `event_id`."""
    session = {"id": "cs_test_" + event_id, "object": "checkout.session", "client_reference_id": reference,
               "amount_total": amount_minor, "currency": currency, "payment_intent": "pi_" + event_id}
    if email:
        session["customer_details"] = {"email": email}
    return sign_stripe(secret, {"id": event_id, "object": "event", "type": "checkout.session.completed",
                                "data": {"object": session}}, timestamp)


# -- M-Pesa (Daraja STK callback): not signed; the path token is the secret.

def mpesa_callback(token: str, checkout_request_id: str, amount: Union[str, int, None] = None, result_code: int = 0,
                   receipt: str = "NLJ7RT61SV", phone: int = 254708374149) -> SignedWebhook:
    """An STK callback for the payment whose reference is `checkout_request_id`; `amount` in
    shillings. Anyone who learns the token can post one: with Daraja credentials set the hub
    confirms each by an STK query, so a test callback is then only as good as that answer."""
    callback: Dict[str, Any] = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout_request_id,
                                "ResultCode": result_code,
                                "ResultDesc": "The service request is processed successfully." if result_code == 0 else "Request cancelled by user"}
    if result_code == 0:
        callback["CallbackMetadata"] = {"Item": [{"Name": "Amount", "Value": int(amount) if amount is not None else 1},
                                                 {"Name": "MpesaReceiptNumber", "Value": receipt},
                                                 {"Name": "PhoneNumber", "Value": phone}]}
    return SignedWebhook("/api/webhooks/mpesa/" + quote(token, safe=""), _body({"Body": {"stkCallback": callback}}),
                         {"Content-Type": "application/json"})
