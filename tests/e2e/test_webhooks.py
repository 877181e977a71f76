"""Provider webhooks signed by Python's hmac, with payloads shaped like each provider's documented examples."""
import hashlib
import os
import hmac
import json
import time

import pytest

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}
SECRETS = {"paystack": "sk_test_paystack", "nowpayments": "ipn-secret", "stripe": "whsec_test", "mpesa": "mpesa-path-token"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("webhooks")), "--paystack-secret", SECRETS["paystack"],
              "--nowpayments-secret", SECRETS["nowpayments"], "--stripe-secret", SECRETS["stripe"], "--mpesa-token", SECRETS["mpesa"])
    yield hub
    hub.stop()


def deliver(hub, path, raw, headers):
    return hub.request("POST", path, raw=raw, headers={"Content-Type": "application/json", **headers})


def payment(hub, reference):
    found = [p for p in hub.request("GET", "/api/payments", headers=KEY)[1] if p["reference"] == reference]
    return found[0] if found else None


def log_for(hub, reference=None, provider=None):
    entries = hub.request("GET", "/api/webhooks/log?limit=1000" + (f"&provider={provider}" if provider else ""), headers=KEY)[1]
    return [e for e in entries if reference is None or e["reference"] == reference or reference in json.dumps(e["payload"])]


def paystack_body(reference, event="charge.success"):
    # Shape of Paystack's documented charge.success event (amount in kobo).
    return json.dumps({"event": event, "data": {"id": 302961, "domain": "live", "status": "success", "reference": reference,
                                                "amount": 1250000, "gateway_response": "Approved", "currency": "NGN",
                                                "customer": {"id": 68324, "email": "ann@shop.test"}}}).encode()


def test_paystack_valid_wrong_secret_modified_and_duplicate(hub):
    body = paystack_body("ps-1")
    good = hmac.new(SECRETS["paystack"].encode(), body, hashlib.sha512).hexdigest()
    wrong = hmac.new(b"another-secret", body, hashlib.sha512).hexdigest()

    status, answer, _ = deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": wrong})
    assert status == 401 and answer["error"]["code"] == "invalid_signature"
    assert payment(hub, "ps-1") is None  # nothing applied
    tampered = body.replace(b"1250000", b"9250000")
    assert deliver(hub, "/api/webhooks/paystack", tampered, {"x-paystack-signature": good})[0] == 401
    assert deliver(hub, "/api/webhooks/paystack", body, {})[0] == 401

    status, answer, _ = deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": good})
    assert status == 200 and answer["duplicate"] is False and answer["status"] == "webhook_received"
    p = payment(hub, "ps-1")
    assert p["status"] == "webhook_received" and p["amount"] == 12500.0 and p["email"] == "ann@shop.test"

    status, answer, _ = deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": good})
    assert status == 200 and answer["duplicate"] is True
    entries = log_for(hub, "ps-1", "paystack")
    statuses = sorted((e["signature_valid"], e["processing_status"]) for e in entries)
    assert statuses == [(False, "rejected"), (False, "rejected"), (False, "rejected"), (True, "duplicate"), (True, "processed")]
    processed = [e for e in entries if e["processing_status"] == "processed"][0]
    assert processed["payload"]["data"]["reference"] == "ps-1" and processed["headers"]["x-paystack-signature"] == good
    rejected = [e for e in entries if not e["signature_valid"]][0]
    assert rejected["error_message"]


def test_nowpayments_signs_the_key_sorted_json(hub):
    # Keys deliberately out of order: the signature is over the sorted form.
    ipn = {"payment_status": "finished", "payment_id": 5077125051, "pay_address": "0xd1cDE08A07a", "price_amount": 49.99,
           "price_currency": "usd", "pay_amount": 155.38559757, "actually_paid": 155.38559757, "pay_currency": "mana",
           "order_id": "np-1", "order_description": "Pro plan", "purchase_id": "6084744717", "outcome_amount": 1131.7812095,
           "outcome_currency": "trx"}
    raw = json.dumps(ipn).encode()
    sorted_form = json.dumps(ipn, sort_keys=True, separators=(",", ":")).encode()
    good = hmac.new(SECRETS["nowpayments"].encode(), sorted_form, hashlib.sha512).hexdigest()
    over_raw = hmac.new(SECRETS["nowpayments"].encode(), raw, hashlib.sha512).hexdigest()
    assert deliver(hub, "/api/webhooks/nowpayments", raw, {"x-nowpayments-sig": over_raw})[0] == 401
    status, answer, _ = deliver(hub, "/api/webhooks/nowpayments", raw, {"x-nowpayments-sig": good})
    assert status == 200 and answer["status"] == "webhook_received", answer
    assert payment(hub, "np-1")["amount"] == 49.99


def stripe_header(body, timestamp, secret=SECRETS["stripe"], extra=()):
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return ",".join([f"t={timestamp}", *extra, f"v1={signature}"])


def test_stripe_signature_tolerance_and_failure_events(hub):
    session = {"id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "object": "event", "type": "checkout.session.completed",
               "data": {"object": {"id": "cs_test_a1", "object": "checkout.session", "client_reference_id": "st-1",
                                   "amount_total": 2000, "currency": "usd", "customer_details": {"email": "bo@shop.test"}}}}
    body = json.dumps(session).encode()
    now = int(time.time())
    assert deliver(hub, "/api/webhooks/stripe", body, {"Stripe-Signature": stripe_header(body, now - 600)})[0] == 401  # stale
    assert deliver(hub, "/api/webhooks/stripe", body, {"Stripe-Signature": stripe_header(body, now, secret="whsec_other")})[0] == 401
    # An old secret's v1 next to the right one (as during secret rotation) is fine.
    header = stripe_header(body, now, extra=["v1=" + "0" * 64])
    status, answer, _ = deliver(hub, "/api/webhooks/stripe", body, {"Stripe-Signature": header})
    assert status == 200 and answer["status"] == "webhook_received"
    assert payment(hub, "st-1")["amount"] == 20.0 and payment(hub, "st-1")["email"] == "bo@shop.test"
    assert deliver(hub, "/api/webhooks/stripe", body, {"Stripe-Signature": header})[1]["duplicate"] is True
    stale = [e for e in log_for(hub, provider="stripe") if "tolerance" in (e["error_message"] or "")]
    assert stale and stale[0]["processing_status"] == "rejected"

    failed = {"id": "evt_2", "type": "payment_intent.payment_failed",
              "data": {"object": {"id": "pi_1", "amount": 500, "metadata": {"reference": "st-2"}}}}
    body = json.dumps(failed).encode()
    status, answer, _ = deliver(hub, "/api/webhooks/stripe", body, {"Stripe-Signature": stripe_header(body, now)})
    assert status == 200 and answer["status"] == "failed"


def test_mpesa_matches_a_pending_checkout_request(hub):
    checkout = "ws_CO_191220191020363925"
    status, _, _ = hub.request("POST", "/api/payments/events", {"reference": checkout, "provider": "mpesa", "stage": "initialized",
                                                                "amount": "1.00", "phone": "254708374149"}, headers=KEY)
    assert status == 200
    callback = {"Body": {"stkCallback": {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": checkout, "ResultCode": 0,
                                         "ResultDesc": "The service request is processed successfully.",
                                         "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": 1.00},
                                                                       {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                                                                       {"Name": "PhoneNumber", "Value": 254708374149}]}}}}
    body = json.dumps(callback).encode()
    assert deliver(hub, "/api/webhooks/mpesa/not-the-token", body, {})[0] == 401
    assert payment(hub, checkout)["status"] == "initialized"
    status, answer, _ = deliver(hub, f"/api/webhooks/mpesa/{SECRETS['mpesa']}", body, {})
    assert status == 200 and answer["status"] == "webhook_received"
    unknown = json.loads(json.dumps(callback))
    unknown["Body"]["stkCallback"]["CheckoutRequestID"] = "ws_CO_unknown"
    status, answer, _ = deliver(hub, f"/api/webhooks/mpesa/{SECRETS['mpesa']}", json.dumps(unknown).encode(), {})
    # A callback for a checkout we never started: recorded as unmatched, not refused.
    assert status == 200 and answer["unmatched"] is True
    assert payment(hub, "ws_CO_unknown")["kind"] == "unmatched"
    assert deliver(hub, "/api/webhooks/unknown-provider", body, {})[0] == 404
    assert hub.request("GET", "/api/webhooks/log")[0] == 401


def test_money_we_cannot_place_is_an_unmatched_payment_with_a_resolution_trail(hub):
    body = paystack_body("ps-never-initialized").replace(b"302961", b"302999")  # another event id: not a duplicate
    signature = hmac.new(SECRETS["paystack"].encode(), body, hashlib.sha512).hexdigest()
    status, answer, _ = deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": signature})
    assert status == 200 and answer["unmatched"] is True
    gaps = {p["reference"]: p for p in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]}
    assert gaps["ps-never-initialized"]["kind"] == "unmatched" and gaps["ps-never-initialized"]["email"] == "ann@shop.test"
    alerts = hub.request("GET", "/api/alerts", headers=KEY)[1]
    assert any(a["kind"] == "unmatched_payment" and a["reference"] == "ps-never-initialized" for a in alerts)
    # Resolutions are a trail: who and when, each kept.
    admin = {"Authorization": "Bearer " + hub.token("admin", "support-ann")}
    assert hub.request("POST", "/api/payments/ps-never-initialized/resolve", {"note": "found the user by email"}, headers=admin)[0] == 200
    status, resolved, _ = hub.request("POST", "/api/payments/ps-never-initialized/resolve", {"note": "credits added by hand"}, headers=KEY)
    assert status == 200 and resolved["kind"] is None and resolved["unmatched"] is False
    trail = resolved["resolutions"]
    assert [(r["by"], r["note"]) for r in trail] == [("support-ann", "found the user by email"), ("api-key", "credits added by hand")]
    assert all(r["at"].endswith("Z") for r in trail)
    assert "ps-never-initialized" not in {p["reference"] for p in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]}


def test_a_refused_delivery_is_logged_with_the_reference_it_claims(hub):
    body = paystack_body("ps-claimed")
    assert deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": "00" * 64})[0] == 401
    entries = hub.request("GET", "/api/webhooks/log?reference=ps-claimed", headers=KEY)[1]
    assert len(entries) == 1
    assert entries[0]["reference"] == "ps-claimed" and entries[0]["reference_verified"] is False and entries[0]["signature_valid"] is False
    assert payment(hub, "ps-claimed") is None  # nothing applied
    assert hub.request("GET", "/api/webhooks/log?reference=no-such", headers=KEY)[1] == []
    verified = hub.request("GET", "/api/webhooks/log?reference=ps-1", headers=KEY)[1]
    assert verified and all(e["reference"] == "ps-1" for e in verified)
    assert any(e["reference_verified"] is True for e in verified)


def test_a_signed_delivery_naming_a_reference_with_a_nul_is_invalid_not_another_payment(hub):
    """PostgreSQL would cut "ps-nul\\0x" short to "ps-nul", another payment's reference."""
    sign = lambda b: {"x-paystack-signature": hmac.new(SECRETS["paystack"].encode(), b, hashlib.sha512).hexdigest()}
    bad = paystack_body("ps-nul\u0000x").replace(b"302961", b"302999")
    status, answer, _ = deliver(hub, "/api/webhooks/paystack", bad, sign(bad))
    assert status == 400 and answer["error"]["code"] == "invalid_webhook" and "NUL" in answer["error"]["message"], answer
    assert [p for p in hub.request("GET", "/api/payments", headers=KEY)[1] if p["reference"].startswith("ps-nul")] == []
    assert [e["processing_status"] for e in log_for(hub, None, "paystack") if "ps-nul" in json.dumps(e["payload"])] == ["failed"]
    # A raw NUL byte in a body (never JSON) is logged with U+FFFD in its place.
    raw = b'{"event": "charge.success", "data": {"reference": "ps-raw"}}\x00'
    assert deliver(hub, "/api/webhooks/paystack", raw, sign(raw))[0] == 400


def test_twelve_thousand_junk_deliveries_stay_within_the_logs_hourly_budget(tmp_path):
    """Unsigned deliveries from anyone: the log keeps at most 60 rows and 128 KiB per
    provider and hour (README "Limits"), counts the rest in /metrics, and never refuses a
    real, signed one for it."""
    import http.client
    import urllib.request
    hub = Hub(str(tmp_path), "--paystack-secret", SECRETS["paystack"], "--stripe-secret", SECRETS["stripe"],
              "--webhook-rate", "100000/s", "--webhook-burst", "100000")
    try:
        junk = json.dumps({"event": "charge.success", "data": {"reference": "junk", "pad": "x" * 3000}}).encode()
        sent = 0
        connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
        for i in range(12_000):
            provider = ("paystack", "stripe", "nowpayments")[i % 3]
            connection.request("POST", f"/api/webhooks/{provider}", body=junk, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 401
            sent += 1
        connection.close()
        # A signed one still goes in.
        body = paystack_body("real-after-junk")
        signature = hmac.new(SECRETS["paystack"].encode(), body, hashlib.sha512).hexdigest()
        assert deliver(hub, "/api/webhooks/paystack", body, {"x-paystack-signature": signature})[0] == 200
        entries = hub.request("GET", "/api/webhooks/log?limit=1000", headers=KEY)[1]
        stored = [e for e in entries if not e["signature_valid"]]
        by_provider = {p: sum(1 for e in stored if e["provider"] == p) for p in ("paystack", "stripe", "nowpayments")}
        assert all(0 < n <= 60 for n in by_provider.values()), by_provider
        assert any(e["reference"] == "real-after-junk" for e in entries)
        metrics = urllib.request.urlopen(hub.base + "/metrics").read().decode()
        not_stored = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                         if line.startswith("livehub_webhook_unverified_not_stored_total{"))
        assert not_stored == sent - len(stored), (not_stored, sent, len(stored))
    finally:
        hub.stop()
    if os.environ.get("LIVEHUB_E2E_BACKEND", "sqlite") == "sqlite":
        import sqlite3
        db = sqlite3.connect(tmp_path / "livehub.db")
        rows, size = db.execute("SELECT count(*), sum(length(payload) + length(headers)) FROM webhook_deliveries WHERE signature_valid = 0").fetchone()
        db.close()
        assert rows <= 3 * 60 and size <= 3 * 128 * 1024, (rows, size)


def test_the_webhook_log_is_read_a_page_at_a_time(hub):
    for i in range(3):
        deliver(hub, "/api/webhooks/paystack", paystack_body(f"page-{i}"), {"x-paystack-signature": "00"})
    status, first, headers = hub.request("GET", "/api/webhooks/log?limit=2", headers=KEY)
    assert status == 200 and len(first) == 2 and headers["LiveHub-Next-Before"] == str(first[-1]["id"])
    status, second, _ = hub.request("GET", f"/api/webhooks/log?limit=2&before={first[-1]['id']}", headers=KEY)
    assert status == 200 and second and all(e["id"] < first[-1]["id"] for e in second)
    assert hub.request("GET", "/api/webhooks/log?before=0", headers=KEY)[0] == 400
