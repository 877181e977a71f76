"""The payment provider fakes themselves (provider_fakes.py), without a hub: auth refused per
provider, the M-Pesa password and timestamp checks, pagination, misbehaviour, recorded calls."""
import base64
import datetime
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import provider_fakes_mpesa as daraja
from provider_fakes import (MPESA_KEY, MPESA_PASSKEY, MPESA_SECRET, MPESA_SHORTCODE, NOWPAYMENTS_KEY, PAYSTACK_SECRET,
                            STRIPE_KEY, ProviderFakes)

PAYSTACK = {"Authorization": f"Bearer {PAYSTACK_SECRET}"}
STRIPE = {"Authorization": f"Bearer {STRIPE_KEY}"}
NOWPAYMENTS = {"x-api-key": NOWPAYMENTS_KEY}


def http(method, url, headers=None, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


@pytest.fixture
def fakes():
    with ProviderFakes() as fakes:
        yield fakes


def basic(user, secret):
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def mpesa_token(fakes, expires_in="3599"):
    status, answer, _ = http("GET", fakes.url("mpesa") + "/oauth/v1/generate?grant_type=client_credentials",
                             {"Authorization": basic(MPESA_KEY, MPESA_SECRET)})
    assert status == 200 and answer["expires_in"] == expires_in and len(answer["access_token"]) == 28
    return answer["access_token"]


def stk_query(fakes, token, checkout, stamp=None, password=None, shortcode=MPESA_SHORTCODE):
    stamp = stamp or daraja.timestamp()
    body = {"BusinessShortCode": shortcode, "Password": daraja.password(MPESA_SHORTCODE, MPESA_PASSKEY, stamp) if password is None else password,
            "Timestamp": stamp, "CheckoutRequestID": checkout}
    return http("POST", fakes.url("mpesa") + "/mpesa/stkpushquery/v1/query", {"Authorization": f"Bearer {token}"}, body)


def test_wrong_auth_is_refused_per_provider(fakes):
    fakes.paystack_transaction("ps-auth")
    fakes.stripe_payment_intent("st-auth", object_id="pi_auth")
    fakes.nowpayments_payment(4001, "np-auth")
    verify = fakes.url("paystack") + "/transaction/verify/ps-auth"
    for headers in ({}, {"Authorization": "Bearer sk_test_wrong"}, {"Authorization": PAYSTACK_SECRET}):
        assert http("GET", verify, headers)[:2] == (401, {"status": False, "message": "Invalid key"})
    assert http("GET", verify, PAYSTACK)[1]["data"]["reference"] == "ps-auth"

    intent = fakes.url("stripe") + "/v1/payment_intents/pi_auth"
    status, answer, _ = http("GET", intent)
    assert status == 401 and answer["error"]["type"] == "invalid_request_error" and "did not provide an API key" in answer["error"]["message"]
    status, answer, _ = http("GET", intent, {"Authorization": "Bearer sk_test_0123456789abcdef"})
    assert status == 401 and answer["error"]["message"] == "Invalid API Key provided: sk_test_" + "*" * 12 + "cdef"
    assert http("GET", intent, STRIPE)[1]["metadata"] == {"reference": "st-auth"}
    assert http("GET", intent, {"Authorization": basic(STRIPE_KEY, "")})[0] == 200  # the docs' Basic form

    payment = fakes.url("nowpayments") + "/v1/payment/4001"
    for headers in ({}, {"x-api-key": "WRONG"}):
        status, answer, _ = http("GET", payment, headers)
        assert status == 403 and answer["code"] == "INVALID_API_KEY" and answer["statusCode"] == 403
    assert http("GET", payment, NOWPAYMENTS)[1]["order_id"] == "np-auth"

    generate = fakes.url("mpesa") + "/oauth/v1/generate?grant_type=client_credentials"
    for headers in ({}, {"Authorization": basic(MPESA_KEY, "wrong")}, {"Authorization": f"Bearer {MPESA_SECRET}"}):
        status, answer, _ = http("GET", generate, headers)
        assert status == 400 and answer["errorCode"] == "400.008.01" and answer["requestId"]
    status, answer, _ = http("GET", generate.replace("client_credentials", "password"), {"Authorization": basic(MPESA_KEY, MPESA_SECRET)})
    assert (status, answer["errorCode"]) == (400, "400.008.02")
    fakes.mpesa_stk("ws_CO_auth")
    for token in ("never-issued", ""):
        status, answer, _ = stk_query(fakes, token, "ws_CO_auth")
        assert (status, answer["errorCode"], answer["errorMessage"]) == (404, "404.001.03", "Invalid Access Token")
    token = mpesa_token(fakes)
    assert stk_query(fakes, token, "ws_CO_auth")[0] == 200
    fakes.mpesa.expire_tokens()
    assert stk_query(fakes, token, "ws_CO_auth")[1]["errorCode"] == "404.001.03"
    fakes.mpesa.token_ttl = 0.2
    token = mpesa_token(fakes, expires_in="0")
    assert stk_query(fakes, token, "ws_CO_auth")[0] == 200
    time.sleep(0.3)
    assert stk_query(fakes, token, "ws_CO_auth")[1]["errorCode"] == "404.001.03"  # out of its time


def test_mpesa_password_and_timestamp_are_checked(fakes):
    token = mpesa_token(fakes)
    fakes.mpesa_stk("ws_CO_paid", "0")
    fakes.mpesa_stk("ws_CO_cancelled", "1032")
    fakes.mpesa_stk("ws_CO_timeout", "1037")
    fakes.mpesa_stk("ws_CO_poor", "1")
    fakes.mpesa_stk("ws_CO_waiting", None)

    status, answer, _ = stk_query(fakes, token, "ws_CO_paid")
    assert status == 200 and answer["ResponseCode"] == "0" and answer["ResultCode"] == "0"
    assert answer["CheckoutRequestID"] == "ws_CO_paid" and answer["MerchantRequestID"] and answer["ResultDesc"]
    stamp = daraja.timestamp()
    for wrong in (daraja.password(MPESA_SHORTCODE, "another-passkey", stamp), daraja.password("600000", MPESA_PASSKEY, stamp),
                  base64.b64encode(b"nonsense").decode(), ""):
        status, answer, _ = stk_query(fakes, token, "ws_CO_paid", stamp=stamp, password=wrong)
        assert (status, answer["errorCode"], answer["errorMessage"]) == (500, "500.001.1001", "Wrong credentials")
    # A password made with another Timestamp than the one sent is wrong too.
    earlier = daraja.timestamp(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=30))
    assert stk_query(fakes, token, "ws_CO_paid", stamp=stamp, password=daraja.password(MPESA_SHORTCODE, MPESA_PASSKEY, earlier))[0] == 500
    assert stk_query(fakes, token, "ws_CO_paid", stamp=earlier)[0] == 200  # 30 s ago is within the window

    utc_now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")  # not Kenya time: 3 h off
    hour_ago = daraja.timestamp(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    for stamp in (utc_now, hour_ago, "2024-01-01 10:00", "20241301000000", "202401011000"):
        status, answer, _ = stk_query(fakes, token, "ws_CO_paid", stamp=stamp)
        assert (status, answer["errorCode"], answer["errorMessage"]) == (400, "400.002.02", "Bad Request - Invalid Timestamp"), stamp
    assert stk_query(fakes, token, "ws_CO_paid", shortcode="600000")[1]["errorMessage"] == "Bad Request - Invalid BusinessShortCode"

    assert [stk_query(fakes, token, c)[1]["ResultCode"] for c in ("ws_CO_cancelled", "ws_CO_timeout", "ws_CO_poor")] == ["1032", "1037", "1"]
    assert stk_query(fakes, token, "ws_CO_cancelled")[1]["ResultDesc"] == "Request cancelled by user"
    status, answer, _ = stk_query(fakes, token, "ws_CO_waiting")
    assert (status, answer["errorCode"], answer["errorMessage"]) == (500, "500.001.1001", "The transaction is being processed")
    fakes.mpesa_stk("ws_CO_waiting", "0")  # the customer answered
    assert stk_query(fakes, token, "ws_CO_waiting")[1]["ResultCode"] == "0"
    assert stk_query(fakes, token, "ws_CO_unknown")[1]["errorMessage"] == "Bad Request - Invalid CheckoutRequestID"
    callback = fakes.mpesa_callback("ws_CO_paid")["Body"]["stkCallback"]
    assert callback["ResultCode"] == 0 and {i["Name"] for i in callback["CallbackMetadata"]["Item"]} >= {"Amount", "MpesaReceiptNumber"}


def test_paystack_verify_and_list_pages(fakes):
    base = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    for i in range(7):
        fakes.paystack_transaction(f"ps-{i}", amount=1000 * (i + 1), created_at=base + datetime.timedelta(days=i),
                                   status="failed" if i == 3 else "success", email=f"u{i}@shop.test")
    status, answer, _ = http("GET", fakes.url("paystack") + "/transaction/verify/ps-3", PAYSTACK)
    tx = answer["data"]
    assert status == 200 and answer["status"] is True and tx["status"] == "failed" and tx["paid_at"] is None
    assert tx["amount"] == 4000 and tx["currency"] == "NGN" and tx["customer"]["email"] == "u3@shop.test" and tx["gateway_response"]
    status, answer, _ = http("GET", fakes.url("paystack") + "/transaction/verify/nope", PAYSTACK)
    assert (status, answer) == (404, {"status": False, "message": "Transaction reference not found"})

    seen = []
    for page in (1, 2, 3):
        status, answer, _ = http("GET", fakes.url("paystack") + f"/transaction?status=success&perPage=2&page={page}", PAYSTACK)
        assert status == 200 and answer["message"] == "Transactions retrieved"
        assert answer["meta"] == {"total": 6, "total_volume": 24000, "skipped": (page - 1) * 2, "perPage": 2, "page": page, "pageCount": 3}
        seen += [t["reference"] for t in answer["data"]]
    assert seen == ["ps-6", "ps-5", "ps-4", "ps-2", "ps-1", "ps-0"]  # newest first, the failed one left out
    assert http("GET", fakes.url("paystack") + "/transaction?status=success&perPage=2&page=4", PAYSTACK)[1]["data"] == []
    status, answer, _ = http("GET", fakes.url("paystack") + "/transaction?from=2024-03-02&to=2024-03-04", PAYSTACK)
    assert [t["reference"] for t in answer["data"]] == ["ps-3", "ps-2", "ps-1"] and answer["meta"]["perPage"] == 50
    status, answer, _ = http("GET", fakes.url("paystack") + "/transaction?from=2024-03-05T00:00:00.000Z", PAYSTACK)
    assert [t["reference"] for t in answer["data"]] == ["ps-6", "ps-5", "ps-4"]
    fakes.paystack_transaction("ps-0", status="abandoned")  # changed at Paystack: same id
    assert http("GET", fakes.url("paystack") + "/transaction/verify/ps-0", PAYSTACK)[1]["data"]["status"] == "abandoned"


def test_stripe_undelivered_events_types_and_cursor(fakes):
    now = int(time.time())
    fakes.stripe_event("st-delivered", created=now - 100)
    for i in range(5):
        fakes.stripe_undelivered_event(f"st-{i}", amount=1000 + i, currency="eur", created=now - 50 + i)
    session = fakes.stripe_undelivered_event("st-cs", kind="checkout.session.completed", created=now)
    fakes.stripe_undelivered_event("st-failed", kind="payment_intent.payment_failed", created=now + 1)
    events = fakes.url("stripe") + "/v1/events?delivery_success=false"
    status, answer, headers = http("GET", events, STRIPE)
    assert status == 200 and answer["object"] == "list" and answer["url"] == "/v1/events" and headers["Request-Id"].startswith("req_")
    assert len(answer["data"]) == 7 and not answer["has_more"] and answer["data"][0]["type"] == "payment_intent.payment_failed"
    assert all(e["pending_webhooks"] > 0 for e in answer["data"])
    both = "&types[]=payment_intent.succeeded&types[]=checkout.session.completed"
    for query in (both, both.replace("[]", "%5B%5D"), "&types[0]=payment_intent.succeeded&types[1]=checkout.session.completed"):
        assert len(http("GET", events + query, STRIPE)[1]["data"]) == 6, query
    assert len(http("GET", events + "&type=payment_intent.*", STRIPE)[1]["data"]) == 6
    assert len(http("GET", fakes.url("stripe") + "/v1/events?delivery_success=true", STRIPE)[1]["data"]) == 1

    refs, after = [], None
    while True:
        status, answer, _ = http("GET", events + "&types%5B%5D=payment_intent.succeeded&limit=2" + (f"&starting_after={after}" if after else ""), STRIPE)
        refs += [e["data"]["object"]["metadata"]["reference"] for e in answer["data"]]
        if not answer["has_more"]:
            break
        after = answer["data"][-1]["id"]
    assert refs == ["st-4", "st-3", "st-2", "st-1", "st-0"]
    status, answer, _ = http("GET", events + "&limit=101", STRIPE)
    assert status == 400 and answer["error"]["param"] == "limit"

    obj = session["data"]["object"]
    status, got, _ = http("GET", fakes.url("stripe") + f"/v1/checkout/sessions/{obj['id']}", STRIPE)
    assert status == 200 and got["client_reference_id"] == "st-cs" and got["payment_status"] == "paid"
    intent = http("GET", fakes.url("stripe") + f"/v1/payment_intents/{got['payment_intent']}", STRIPE)[1]
    assert intent["object"] == "payment_intent" and intent["metadata"]["reference"] == "st-cs" and intent["status"] == "succeeded"
    status, answer, _ = http("GET", fakes.url("stripe") + "/v1/payment_intents/pi_missing", STRIPE)
    assert status == 404 and answer["error"]["code"] == "resource_missing" and answer["error"]["message"] == "No such payment_intent: 'pi_missing'"

    search = fakes.url("stripe") + "/v1/payment_intents/search?query="
    status, answer, _ = http("GET", search + urllib.request.quote("metadata['reference']:'st-3'"), STRIPE)
    assert status == 200 and answer["object"] == "search_result" and [i["amount"] for i in answer["data"]] == [1003]
    answer = http("GET", search + urllib.request.quote("metadata['reference']:'st-failed' AND status:'requires_payment_method'"), STRIPE)[1]
    assert len(answer["data"]) == 1 and answer["data"][0]["last_payment_error"]["code"] == "card_declined"
    assert http("GET", search + urllib.request.quote("metadata['reference']:'nobody'"), STRIPE)[1]["data"] == []
    assert http("GET", search + "garbage", STRIPE)[0] == 400


def test_nowpayments_payment_status(fakes):
    fakes.nowpayments_payment(5077125051, "np-1", "partially_paid", price_amount=170, price_currency="usd", pay_amount=155.38559757,
                              pay_currency="mana")
    status, answer, _ = http("GET", fakes.url("nowpayments") + "/v1/payment/5077125051", NOWPAYMENTS)
    assert status == 200 and answer["payment_id"] == 5077125051 and answer["payment_status"] == "partially_paid"
    assert answer["order_id"] == "np-1" and answer["price_amount"] == 170 and answer["price_currency"] == "usd"
    assert answer["actually_paid"] < answer["pay_amount"] and answer["actually_paid_at_fiat"] == 85
    fakes.nowpayments_payment(42, "np-2", "waiting")
    assert http("GET", fakes.url("nowpayments") + "/v1/payment/42", NOWPAYMENTS)[1]["actually_paid"] == 0
    status, answer, _ = http("GET", fakes.url("nowpayments") + "/v1/payment/43", NOWPAYMENTS)
    assert status == 404 and answer["code"] == "PAYMENT_NOT_FOUND"
    with pytest.raises(ValueError):
        fakes.nowpayments_payment(44, "np-3", "paid")  # not a documented status


def test_fail_answers_n_requests_then_normally(fakes):
    fakes.paystack_transaction("ps-f")
    fakes.fail("paystack", status=503, times=2)
    url = fakes.url("paystack") + "/transaction/verify/ps-f"
    assert [http("GET", url, PAYSTACK)[0] for _ in range(3)] == [503, 503, 200]
    assert len(fakes.calls_to("paystack", "/transaction/verify/ps-f")) == 3  # failed ones are recorded too
    fakes.fail("stripe", status=500, times=None)
    assert [http("GET", fakes.url("stripe") + "/v1/events", STRIPE)[1]["error"]["type"] for _ in range(3)] == ["api_error"] * 3
    fakes.reset("stripe")
    assert http("GET", fakes.url("stripe") + "/v1/events", STRIPE)[0] == 200
    fakes.fail("nowpayments", status=429, body={"message": "slow down"})
    assert http("GET", fakes.url("nowpayments") + "/v1/payment/1", NOWPAYMENTS)[:2] == (429, {"message": "slow down"})
    fakes.fail("mpesa", status=500)
    status, answer, _ = http("GET", fakes.url("mpesa") + "/oauth/v1/generate?grant_type=client_credentials")
    assert status == 500 and answer["errorCode"].startswith("500.")
    with pytest.raises(ValueError):
        fakes.fail("paypal")


def test_hang_and_delay(fakes):
    fakes.paystack_transaction("ps-h")
    url = fakes.url("paystack") + "/transaction/verify/ps-h"
    fakes.hang("paystack", seconds=5, times=1)
    started = time.monotonic()
    with pytest.raises((socket.timeout, urllib.error.URLError, TimeoutError)):
        http("GET", url, PAYSTACK, timeout=0.3)
    assert time.monotonic() - started < 2
    assert http("GET", url, PAYSTACK)[0] == 200  # only the one request hung

    fakes.delay("paystack", 0.2)
    started = time.monotonic()
    assert [http("GET", url, PAYSTACK)[0] for _ in range(3)] == [200] * 3
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    http("GET", fakes.url("nowpayments") + "/v1/payment/1", NOWPAYMENTS)
    assert time.monotonic() - started < 0.15  # the others are not delayed
    fakes.delay("paystack", 0)
    started = time.monotonic()
    http("GET", url, PAYSTACK)
    assert time.monotonic() - started < 0.15

    # stop() lets a hanging request go at once.
    fakes.hang("paystack", seconds=30)
    outcome = []

    def ask():
        try:
            outcome.append(http("GET", url, PAYSTACK, timeout=20)[0])
        except Exception as e:  # the connection closed unanswered
            outcome.append(type(e).__name__)

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    fakes.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 3 and not worker.is_alive() and outcome and outcome[0] != 200, outcome


def test_calls_are_recorded(fakes):
    token = mpesa_token(fakes)
    fakes.mpesa_stk("ws_CO_rec")
    stk_query(fakes, token, "ws_CO_rec")
    http("GET", fakes.url("stripe") + "/v1/events?delivery_success=false&types%5B%5D=a&types%5B%5D=b&limit=5", STRIPE)
    calls = fakes.calls
    assert [(c.provider, c.method, c.path) for c in calls] == [
        ("mpesa", "GET", "/oauth/v1/generate"), ("mpesa", "POST", "/mpesa/stkpushquery/v1/query"), ("stripe", "GET", "/v1/events")]
    assert calls[0].query == {"grant_type": ["client_credentials"]} and calls[0].headers["authorization"] == basic(MPESA_KEY, MPESA_SECRET)
    assert json.loads(calls[1].body)["CheckoutRequestID"] == "ws_CO_rec" and calls[1].headers["authorization"] == f"Bearer {token}"
    assert calls[2].query == {"delivery_success": ["false"], "types[]": ["a", "b"], "limit": ["5"]}
    provider, method, path, query, headers, body = calls[2]  # a plain tuple too
    assert (provider, body) == ("stripe", "")
    assert len(fakes.calls_to("mpesa")) == 2 and len(fakes.calls_to("mpesa", "/oauth")) == 1 and fakes.calls_to("paystack") == []
    assert http("GET", f"http://127.0.0.1:{fakes.port}/paypal/v1/x")[0] == 404  # no such prefix, not recorded
    fakes.clear_calls()
    assert fakes.calls == []


def test_standalone_server_for_a_benchmark():
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "provider_fakes.py"), "--port", "0",
                             "--delay", "0.05", "--payments", "3"], stdout=subprocess.PIPE, text=True)
    try:
        urls = dict(proc.stdout.readline().split() for _ in range(4))
        assert set(urls) == {"--paystack-api-url", "--stripe-api-url", "--nowpayments-api-url", "--mpesa-api-url"}
        status, answer, _ = http("GET", urls["--paystack-api-url"] + "/transaction/verify/bench-ps-2", PAYSTACK)
        assert status == 200 and answer["data"]["amount"] == 100002
        answer = http("GET", urls["--stripe-api-url"] + "/v1/events?delivery_success=false", STRIPE)[1]
        assert len(answer["data"]) == 3
        assert http("GET", urls["--nowpayments-api-url"] + "/v1/payment/5000000001", NOWPAYMENTS)[1]["order_id"] == "bench-np-1"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
