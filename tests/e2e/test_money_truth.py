"""Money that adds up (issue 27): currencies, the provider's amount against the shop's, provider
references, resolved as a state, one status vocabulary, support's credit, the registration funnel,
and --public-url. Webhooks are signed by Python's hmac, shaped like each provider's documented
payloads (Paystack charge.success, Stripe payment_intent.succeeded, M-Pesa STK callback)."""
import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

from hubproc import Hub
from test_alerts import Receiver

KEY = {"Authorization": "Bearer e2e-key"}
PAYSTACK, STRIPE, MPESA = "sk_test_truth", "whsec_truth", "mpesa-truth-token"


@pytest.fixture(scope="module")
def sink():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, sink):
    hub = Hub(str(tmp_path_factory.mktemp("truth")), "--currency", "NGN", "--paystack-secret", PAYSTACK, "--stripe-secret", STRIPE,
              "--mpesa-token", MPESA, "--gap-grace", "1s", "--default-phone-region", "KE", "--public-url", "https://hub.example.com",
              "--alert-webhook", f"http://127.0.0.1:{sink.port}/discord")
    yield hub
    hub.stop()


def event(hub, **fields):
    status, answer, _ = hub.request("POST", "/api/payments/events", fields, headers=KEY)
    assert status == 200, answer
    return answer


def payment(hub, reference):
    status, found, _ = hub.request("GET", "/api/payments?reference=" + urllib.parse.quote(reference), headers=KEY)
    assert status == 200
    return found[0] if found else None


def paystack(hub, reference, kobo, currency="NGN", transaction_id=4099260516):
    body = json.dumps({"event": "charge.success", "data": {"id": transaction_id, "reference": reference, "amount": kobo,
                                                           "currency": currency, "status": "success",
                                                           "customer": {"email": "ada@shop.test"}}}).encode()
    signature = hmac.new(PAYSTACK.encode(), body, hashlib.sha512).hexdigest()
    return hub.request("POST", "/api/webhooks/paystack", raw=body, headers={"Content-Type": "application/json", "x-paystack-signature": signature})


def stripe(hub, reference, cents, currency="usd", intent="pi_3MtwBwLkdIwHu7ix28a3tqPa"):
    body = json.dumps({"id": "evt_" + reference, "type": "payment_intent.succeeded",
                       "data": {"object": {"id": intent, "object": "payment_intent", "amount": cents, "currency": currency,
                                           "metadata": {"reference": reference}}}}).encode()
    t = int(time.time())
    signature = hmac.new(STRIPE.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hub.request("POST", "/api/webhooks/stripe", raw=body, headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={signature}"})


def mpesa(hub, checkout_id, amount, receipt):
    body = json.dumps({"Body": {"stkCallback": {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout_id,
                                                "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
                                                "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": amount},
                                                                              {"Name": "MpesaReceiptNumber", "Value": receipt},
                                                                              {"Name": "PhoneNumber", "Value": 254708374149}]}}}}).encode()
    return hub.request("POST", f"/api/webhooks/mpesa/{MPESA}", raw=body, headers={"Content-Type": "application/json"})


def test_three_currencies_are_never_added(hub):
    for reference, amount, currency in [("cur-ngn", "5000.00", "NGN"), ("cur-usd", "99.00", "USD"), ("cur-kes", "1000.00", "KES"),
                                        ("cur-jpy", "1500", "JPY")]:
        event(hub, reference=reference, provider="manual", stage="initialized", amount=amount, currency=currency, user_id="cur-user")
        event(hub, reference=reference, provider="manual", stage="completed")
    stats = hub.request("GET", "/api/payments/stats?window=1h", headers=KEY)[1]
    assert stats["currency"] == "NGN" and stats["total_amount"] == 5000.0
    totals = {t["currency"]: t["amount"] for t in stats["totals"]}
    assert totals == {"NGN": 5000.0, "USD": 99.0, "KES": 1000.0, "JPY": 1500}
    assert stats["totals"][0]["currency"] == "NGN", "the shop's currency first"
    # Each amount in its currency's places, as written.
    assert payment(hub, "cur-jpy")["amount"] == 1500 and payment(hub, "cur-jpy")["currency"] == "JPY"
    # An amount with more places than its currency has, or a currency ISO 4217 does not know: 400 naming it.
    status, answer, _ = hub.request("POST", "/api/payments/events", {"reference": "cur-bad", "provider": "manual", "stage": "initialized",
                                                                     "amount": "10.5", "currency": "JPY"}, headers=KEY)
    assert status == 400 and "decimal places in JPY" in answer["error"]["message"]
    status, answer, _ = hub.request("POST", "/api/payments/events", {"reference": "cur-bad", "provider": "manual", "stage": "initialized",
                                                                     "amount": "10", "currency": "BTCX"}, headers=KEY)
    assert status == 400 and "ISO 4217" in answer["error"]["message"]
    # No currency given: the shop's.
    event(hub, reference="cur-default", provider="manual", stage="initialized", amount="12.50")
    assert payment(hub, "cur-default")["currency"] == "NGN"


def alert_kinds(hub):
    return [a["kind"] for a in hub.request("GET", "/api/alerts", headers=KEY)[1]]


def test_a_provider_amount_that_differs_is_an_amount_mismatch(hub, sink):
    # Paystack: the shop initialized 5000.00 NGN; the charge says 10000 kobo (100.00 NGN).
    event(hub, reference="mm-paystack", provider="paystack", stage="initialized", amount="5000.00", currency="NGN", user_id="mm-1")
    status, answer, _ = paystack(hub, "mm-paystack", 10000)
    assert status == 200, answer
    # Stripe: 99.00 USD initialized, the payment intent says 9000 cents.
    event(hub, reference="mm-stripe", provider="stripe", stage="initialized", amount="99.00", currency="USD", user_id="mm-2")
    assert stripe(hub, "mm-stripe", 9000)[0] == 200
    # M-Pesa: 1000 KES initialized, the callback's Amount is 1.
    event(hub, reference="ws_CO_191220191020363925", provider="mpesa", stage="initialized", amount="1000", currency="KES", user_id="mm-3")
    assert mpesa(hub, "ws_CO_191220191020363925", 1, "NLJ7RT61SV")[0] == 200
    # The same amount is no mismatch.
    event(hub, reference="mm-agree", provider="paystack", stage="initialized", amount="100.00", currency="NGN", user_id="mm-4")
    assert paystack(hub, "mm-agree", 10000, transaction_id=4099260517)[0] == 200

    for reference, shop, provider in [("mm-paystack", 5000.0, 100.0), ("mm-stripe", 99.0, 90.0), ("ws_CO_191220191020363925", 1000.0, 1.0)]:
        p = payment(hub, reference)
        assert p["kind"] == "amount_mismatch" and p["amount_mismatch"] is True, p
        assert p["amount"] == shop and p["provider_amount"] == provider
        assert p["gap"] is False, "not a gap to credit at the shop's amount"
    assert payment(hub, "mm-agree")["kind"] is None
    listed = {p["reference"]: p["kind"] for p in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]}
    assert {"mm-paystack", "mm-stripe", "ws_CO_191220191020363925"} <= {r for r, k in listed.items() if k == "amount_mismatch"}
    assert {p["reference"] for p in hub.request("GET", "/api/payments?status=amount_mismatch", headers=KEY)[1]} >= {"mm-paystack", "mm-stripe"}
    assert alert_kinds(hub).count("amount_mismatch") >= 3
    stats = hub.request("GET", "/api/payments/stats?window=1h", headers=KEY)[1]
    assert stats["amount_mismatch"] >= 3
    # Confirmed money is what the provider said arrived: 100.00 NGN, not the 5000.00 asked.
    totals = {t["currency"]: t["amount"] for t in stats["totals"]}
    assert totals["NGN"] == 5000.0 + 100.0 + 100.0 and totals["USD"] == 99.0 + 90.0 and totals["KES"] == 1000.0 + 1.0, totals
    # Support's credit of a mismatched payment needs an amount chosen by a person.
    status, answer, _ = hub.request("POST", "/api/payments/credit", {"reference": "mm-paystack"}, headers=KEY)
    assert status == 409 and answer["error"]["code"] == "not_creditable" and "amount" in answer["error"]["message"]
    # The chat message links to the payment's story in the console (--public-url).
    bodies = [json.loads(b) for b, _ in sink.wait_for(3)]
    mismatch = [b for b in bodies if "mm-paystack" in json.dumps(b) and "differs" in json.dumps(b)]
    assert mismatch and mismatch[0]["embeds"][0]["url"] == "https://hub.example.com/support?q=mm-paystack"
    assert "100.00 NGN" in mismatch[0]["embeds"][0]["description"] and "5000.00 NGN" in mismatch[0]["embeds"][0]["description"]


def test_provider_references_are_kept_and_found(hub):
    assert payment(hub, "NLJ7RT61SV")["reference"] == "ws_CO_191220191020363925", "the M-Pesa receipt finds the payment"
    assert payment(hub, "4099260516")["reference"] == "mm-paystack"
    assert payment(hub, "pi_3MtwBwLkdIwHu7ix28a3tqPa")["reference"] == "mm-stripe"
    assert payment(hub, "mm-stripe")["provider_reference"] == "pi_3MtwBwLkdIwHu7ix28a3tqPa"


def test_resolved_is_a_state_and_every_stats_word_is_a_filter(hub):
    event(hub, reference="rs-1", provider="manual", stage="initialized", amount="20.00", user_id="rs")
    event(hub, reference="rs-1", provider="manual", stage="webhook_received")
    deadline = time.time() + 10
    while not payment(hub, "rs-1")["gap"] and time.time() < deadline:
        time.sleep(0.3)
    assert payment(hub, "rs-1")["gap"]
    status, answer, _ = hub.request("POST", "/api/payments/resolve", {"reference": "rs-1", "note": "refunded by the bank"}, headers=KEY)
    assert status == 200 and answer["status"] == "resolved" and answer["stage"] == "webhook_received"
    p = payment(hub, "rs-1")
    assert p["resolutions"][-1]["kind"] == "resolved"
    assert p["status"] == "resolved" and p["gap_since"] is None and p["became_gap_at"] and p["resolutions"][-1]["note"] == "refunded by the bank"
    stats = hub.request("GET", "/api/payments/stats?window=1h", headers=KEY)[1]
    assert stats["resolved"] >= 1
    # Every count the stats give is a word ?status= takes, meaning the same payments.
    for word in ["pending", "initialized", "completed", "webhook_received", "failed", "credited", "resolved", "unmatched", "amount_mismatch"]:
        status, listed, _ = hub.request("GET", "/api/payments?status=" + word, headers=KEY)
        assert status == 200, (word, listed)
        if word in stats:
            assert len(listed) == stats[word], word
    assert "rs-1" in {p["reference"] for p in hub.request("GET", "/api/payments?status=resolved", headers=KEY)[1]}
    assert hub.request("GET", "/api/payments?status=bogus", headers=KEY)[0] == 400


def test_support_credits_a_confirmed_payment_once(hub):
    event(hub, reference="cr-1", provider="manual", stage="initialized", amount="250.00", user_id="cr-user")
    # Not confirmed yet: refused, nothing written.
    status, answer, _ = hub.request("POST", "/api/payments/credit", {"reference": "cr-1"}, headers=KEY)
    assert status == 409 and "not confirmed" in answer["error"]["message"]
    event(hub, reference="cr-1", provider="manual", stage="completed")
    admin = {"Authorization": "Bearer " + hub.token("admin", sub="ops-ann")}
    status, t, _ = hub.request("POST", "/api/payments/credit", {"reference": "cr-1", "note": "webhook lost"}, headers=admin)
    assert status == 201 and t["amount"] == 250.0 and t["user_id"] == "cr-user" and t["payment_reference"] == "cr-1"
    assert "ops-ann" in t["description"] and "webhook lost" in t["description"]
    # A retry answers the original; nothing is credited twice.
    status, again, _ = hub.request("POST", "/api/payments/credit", {"reference": "cr-1", "note": "webhook lost"}, headers=admin)
    assert status == 200 and again["id"] == t["id"]
    # Another amount is not a retry: refused, naming what was credited.
    status, answer, _ = hub.request("POST", "/api/payments/credit", {"reference": "cr-1", "amount": "300.00"}, headers=admin)
    assert status == 409 and "250.00" in answer["error"]["message"]
    assert hub.request("GET", "/api/wallet/balance?user_id=cr-user", headers=KEY)[1]["balance"] == 250.0
    p = payment(hub, "cr-1")
    assert p["status"] == "credited" and p["resolutions"][-1]["by"] == "ops-ann" and p["resolutions"][-1]["kind"] == "credited"
    # Support may look, not pay.
    support = {"Authorization": "Bearer " + hub.token("support", sub="sup")}
    assert hub.request("POST", "/api/payments/credit", {"reference": "cur-usd"}, headers=support)[0] == 403
    audit = hub.request("GET", "/api/audit?limit=50", headers=admin)[1]
    entries = audit["entries"] if isinstance(audit, dict) else audit
    assert any(e["action"] == "credit_payment" and e["target"] == "cr-1" for e in entries)


def test_the_registration_funnel_joins_an_email_to_its_user(hub):
    for body in [{"email": "Reg.One@Shop.test", "action": "registration_started", "status": "success"},
                 {"user_id": "reg-1", "email": "reg.one@shop.test", "action": "registration_completed", "status": "success"}]:
        status, answer, _ = hub.request("POST", "/api/activity", body, headers=KEY)
        assert status == 201, answer
    funnels = hub.request("GET", "/api/funnels?window=1h", headers=KEY)[1]
    steps = {s["step"] if "step" in s else s["name"]: s["count"] for s in funnels["registration"]["steps"]}
    assert steps.get("registration_started") == 1 and steps.get("registration_completed") == 1, funnels["registration"]


def test_balance_links_use_the_public_url(hub):
    import asyncio
    import websockets

    async def run():
        token = hub.token("balance", sub="link-user")
        async with websockets.connect(f"{hub.ws}/ws/balance?token={token}") as ws:
            json.loads(await asyncio.wait_for(ws.recv(), 5))
            status, _, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "link-user", "amount": "5.00", "type": "credit",
                                                                             "reference": "link-1"}, headers=KEY)
            assert status == 201
            update = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert update["notification"]["link"].startswith("https://hub.example.com/api/wallet/transactions/")
    asyncio.run(run())


def test_bad_currency_and_public_url_flags_are_named(hub, tmp_path):
    import os
    import subprocess
    for flag, value, words in [("--currency", "DOLLARS", "ISO 4217"), ("--public-url", "https://hub.example.com/x?y", "--public-url")]:
        out = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--data-dir", str(tmp_path / "d"), "--port", "0", flag, value],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode != 0 and words in out.stderr, out.stderr
        assert not (tmp_path / "d").exists(), "a start that fails creates nothing"


def test_one_kenyan_number_in_three_forms_is_one_person(hub):
    # Google's libphonenumber reads each with the default region KE: one E.164 number.
    forms = ["0712345678", "254712345678", "+254 712 345 678"]
    for i, phone in enumerate(forms):
        event(hub, reference=f"ke-{i}", provider="mpesa", stage="initialized", amount="100", currency="KES", phone=phone)
    hub.beacon("session/start", {"session_id": "ke-session", "phone": "0712 345678"})
    for form in forms + ["+254712345678"]:
        found = hub.request("GET", "/api/payments?phone=" + urllib.parse.quote(form), headers=KEY)[1]
        assert sorted(p["reference"] for p in found) == ["ke-0", "ke-1", "ke-2"], form
        assert {p["phone"] for p in found} == {"+254712345678"}, "kept as E.164"
        sessions = hub.request("GET", "/api/sessions?phone=" + urllib.parse.quote(form), headers=KEY)[1]
        listed = sessions["sessions"] if isinstance(sessions, dict) else sessions
        assert [s["session_id"] for s in listed] == ["ke-session"], form
    # A phone too long to be one is refused, never dropped (which would list everybody).
    status, answer, _ = hub.request("GET", "/api/payments?phone=" + "1" * 65, headers=KEY)
    assert status == 400 and "phone" in answer["error"]["message"]
    # Another number is another person.
    assert hub.request("GET", "/api/payments?phone=0712345679", headers=KEY)[1] == []
    # Text that is no number is kept as written, not refused, and finds nothing else.
    event(hub, reference="ke-odd", provider="mpesa", stage="initialized", phone="call me")
    assert payment(hub, "ke-odd")["phone"] == "call me"


def test_a_region_libphonenumber_does_not_know_is_named(tmp_path):
    import os
    import subprocess
    out = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--data-dir", str(tmp_path / "d"), "--port", "0", "--default-phone-region", "UK"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and "--default-phone-region" in out.stderr and not (tmp_path / "d").exists()
