"""Reconciliation against local fakes of the four providers' APIs (tests/e2e/provider_fakes.py,
written from their public docs): payments in doubt asked about, lists read for what we never
saw, M-Pesa callbacks confirmed with Daraja, a failing provider retried, no key anywhere."""
import json
import pathlib
import time
import urllib.request

import pytest

import provider_fakes as fakes
from hubproc import Hub, wait_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY = {"Authorization": "Bearer e2e-key"}
MPESA_TOKEN = "mpesa-path-token"


@pytest.fixture(scope="module")
def providers():
    made = fakes.ProviderFakes()
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, providers):
    hub = Hub(str(tmp_path_factory.mktemp("reconcile")), "--paystack-secret", fakes.PAYSTACK_SECRET,
              "--paystack-api-url", providers.url("paystack"), "--stripe-api-url", providers.url("stripe"),
              "--nowpayments-api-url", providers.url("nowpayments"), "--mpesa-api-url", providers.url("mpesa"),
              "--stripe-api-key", fakes.STRIPE_KEY, "--mpesa-consumer-key", fakes.MPESA_KEY, "--mpesa-shortcode", fakes.MPESA_SHORTCODE,
              "--mpesa-token", MPESA_TOKEN, "--reconcile-after", "2s", "--reconcile-interval", "1s", "--gap-grace", "1s",
              "--reconcile-list-interval", "1h", "--web-root", str(ROOT / "web"),
              env={"LIVEHUB_NOWPAYMENTS_API_KEY": fakes.NOWPAYMENTS_KEY, "LIVEHUB_MPESA_CONSUMER_SECRET": fakes.MPESA_SECRET,
                   "LIVEHUB_MPESA_PASSKEY": fakes.MPESA_PASSKEY})
    yield hub
    hub.stop()


def initialize(hub, reference, provider, amount="5000.00", currency="NGN", **more):
    status, answer, _ = hub.request("POST", "/api/payments/events", {"reference": reference, "provider": provider, "stage": "initialized",
                                                                     "amount": amount, "currency": currency, "email": "ann@shop.test", **more},
                                    headers=KEY)
    assert status == 200, answer


def payment(hub, reference):
    found = [p for p in hub.request("GET", "/api/payments", headers=KEY)[1] if p["reference"] == reference]
    return found[0] if found else None


def checks(hub, reference):
    status, answer, _ = hub.request("GET", "/api/payments/checks?reference=" + reference, headers=KEY)
    assert status == 200, answer
    return answer["checks"]


def alerts(hub, kind, reference):
    return [a for a in hub.request("GET", "/api/alerts?limit=500", headers=KEY)[1] if a["kind"] == kind and a.get("reference") == reference]




def test_a_paystack_payment_whose_webhook_never_came_is_a_gap_after_one_pass_and_alerted_once(hub, providers):
    providers.paystack_transaction("ps-late", status="success", amount=500000, currency="NGN", email="ann@shop.test")
    initialize(hub, "ps-late", "paystack")
    p = wait_for(lambda: (lambda p: p if p and p["gap"] else None)(payment(hub, "ps-late")))
    assert p["provider_reference"] and p["provider_amount"] == 5000.0 and p["provider_currency"] == "NGN"
    asked = providers.calls_to("paystack", "/transaction/verify/ps-late")
    assert asked and all(c.headers["authorization"] == "Bearer " + fakes.PAYSTACK_SECRET for c in asked)
    said = checks(hub, "ps-late")
    assert [c["outcome"] for c in said if c["moved"]] == ["paid"] and said[-1]["asked_by"] == "reconcile"
    time.sleep(2.5)  # more passes: nothing asked again moves it, nothing alerted twice
    assert len(alerts(hub, "payment_gap", "ps-late")) == 1
    story = hub.request("GET", "/api/support/timeline?reference=ps-late", headers=KEY)[1]
    assert [e["source"] for e in story["payment_events"] if e["stage"] == "webhook_received" and e["reference"] == "ps-late"] == ["provider_api"]
    assert story["provider_checks"][0]["reference"] == "ps-late"


def test_a_paystack_list_entry_nobody_initialized_becomes_unmatched_once(hub, providers):
    providers.paystack_transaction("ps-stranger", status="success", amount=250000, currency="NGN", email="bo@shop.test")
    assert hub.request("POST", "/api/payments/reconcile", {}, headers=KEY)[0] == 200
    p = wait_for(lambda: payment(hub, "ps-stranger"))
    assert p["unmatched"] and p["kind"] == "unmatched" and p["email"] == "bo@shop.test"
    assert hub.request("POST", "/api/payments/reconcile", {}, headers=KEY)[0] == 200
    time.sleep(1.5)
    assert len(alerts(hub, "unmatched_payment", "ps-stranger")) == 1
    assert [c["moved"] for c in checks(hub, "ps-stranger") if c["asked_by"] == "listing"] == ["unmatched"]


def test_a_stripe_event_whose_webhook_was_not_delivered_is_applied_once(hub, providers):
    initialize(hub, "st-undelivered", "stripe", amount="20.00", currency="USD")
    providers.stripe_undelivered_event("st-undelivered", kind="payment_intent.succeeded", amount=2000, currency="usd")
    assert hub.request("POST", "/api/payments/reconcile", {}, headers=KEY)[0] == 200
    p = wait_for(lambda: (lambda p: p if p and p["stage"] == "webhook_received" else None)(payment(hub, "st-undelivered")))
    assert p["provider_amount"] == 20.0 and not p["amount_mismatch"]
    assert hub.request("POST", "/api/payments/reconcile", {}, headers=KEY)[0] == 200
    time.sleep(1.5)
    story = hub.request("GET", "/api/support/timeline?reference=st-undelivered", headers=KEY)[1]
    assert len([e for e in story["payment_events"] if e["source"] == "provider_api" and e["reference"] == "st-undelivered"]) == 1
    assert all(c.headers["authorization"] == "Bearer " + fakes.STRIPE_KEY for c in providers.calls_to("stripe"))


def test_a_nowpayments_partially_paid_answer_is_shown_partial(hub, providers):
    providers.nowpayments_payment(5077125051, "np-partial", status="partially_paid", price_amount=49.99, price_currency="usd",
                                  actually_paid_at_fiat=20.0)
    initialize(hub, "np-partial", "nowpayments", amount="49.99", currency="USD", provider_reference="5077125051")
    p = wait_for(lambda: (lambda p: p if p and p["partial"] else None)(payment(hub, "np-partial")))
    assert p["amount_mismatch"] and p["kind"] == "amount_mismatch" and p["provider_amount"] == 20.0
    assert all(c.headers["x-api-key"] == fakes.NOWPAYMENTS_KEY for c in providers.calls_to("nowpayments"))


def mpesa_callback(hub, body):
    return hub.request("POST", f"/api/webhooks/mpesa/{MPESA_TOKEN}", raw=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def test_a_forged_mpesa_callback_is_refused_because_the_stk_query_says_1032(hub, providers):
    providers.mpesa_stk("ws_CO_forged", result_code="1032", desc="Request cancelled by user")
    providers.mpesa_stk("ws_CO_genuine", result_code="0", amount=100)
    initialize(hub, "ws_CO_forged", "mpesa", amount="100", currency="KES")
    initialize(hub, "ws_CO_genuine", "mpesa", amount="100", currency="KES")
    forged = providers.mpesa_callback("ws_CO_genuine")  # a success body, replayed for another request
    forged["Body"]["stkCallback"]["CheckoutRequestID"] = "ws_CO_forged"
    status, answer, _ = mpesa_callback(hub, forged)
    assert status == 200 and answer["ResultCode"] == 0
    entry = wait_for(lambda: [e for e in hub.request("GET", "/api/webhooks/log?provider=mpesa&limit=100", headers=KEY)[1]
                              if e["reference"] == "ws_CO_forged"])[0]
    assert entry["processing_status"] == "forged_or_stale" and "cancelled by user" in entry["error_message"]
    assert payment(hub, "ws_CO_forged")["stage"] == "initialized"
    assert len(wait_for(lambda: alerts(hub, "callback_contradicted", "ws_CO_forged"))) == 1
    status, _, _ = mpesa_callback(hub, providers.mpesa_callback("ws_CO_genuine"))
    assert status == 200
    genuine = wait_for(lambda: (lambda p: p if p and p["stage"] == "webhook_received" else None)(payment(hub, "ws_CO_genuine")))
    assert not genuine["amount_mismatch"] and genuine["provider_amount"] == 100.0
    query = providers.calls_to("mpesa", "/mpesa/stkpushquery/v1/query")
    assert query and all(json.loads(c.body)["Password"] for c in query)


def test_a_provider_that_fails_or_hangs_delays_nothing_else_and_is_asked_again(hub, providers):
    providers.hang("stripe", 30, times=1)
    providers.fail("paystack", status=500, times=None)
    providers.paystack_transaction("ps-retry", status="success", amount=100000, currency="NGN")
    providers.stripe_payment_intent("st-hang", amount=1000, currency="usd")
    initialize(hub, "st-hang", "stripe", amount="10.00", currency="USD")
    initialize(hub, "ps-retry", "paystack", amount="1000.00")
    # Asked at 2 s: a 500, recorded while Stripe's question still hangs.
    started = time.monotonic()
    failed = wait_for(lambda: [c for c in checks(hub, "ps-retry") if c["outcome"] == "error"])
    assert "500" in failed[0]["detail"] and time.monotonic() - started < 10
    assert payment(hub, "ps-retry")["stage"] == "initialized"
    # Asked again on its schedule (3 x 2 s after it was first seen): paid.
    providers.reset("paystack")
    wait_for(lambda: (lambda p: p if p and p["stage"] == "webhook_received" else None)(payment(hub, "ps-retry")), seconds=20)
    outcomes = [c["outcome"] for c in reversed(checks(hub, "ps-retry"))]
    assert outcomes[0] == "error" and outcomes[-1] == "paid"
    providers.reset()


def test_no_key_appears_in_the_hubs_output_answers_or_metrics(hub, providers):
    with urllib.request.urlopen(hub.base + "/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert 'livehub_provider_calls_total{provider="paystack"' in metrics
    seen = "".join(hub.output) + metrics + json.dumps(hub.request("GET", "/api/alerts?limit=500", headers=KEY)[1])
    for reference in ["ps-late", "ps-retry", "st-undelivered", "np-partial", "ws_CO_forged"]:
        seen += json.dumps(checks(hub, reference))
    for secret in [fakes.PAYSTACK_SECRET, fakes.STRIPE_KEY, fakes.NOWPAYMENTS_KEY, fakes.MPESA_SECRET, fakes.MPESA_PASSKEY]:
        assert secret not in seen


def test_the_console_button_shows_the_providers_answer(hub, providers, browser):
    """An admin on /payments clicks "Check with provider" on a payment: the hub asks Paystack
    then and there, and the page says what Paystack answered (Chromium, 1366 and 390 px)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from console_login import browser_sign_in
    providers.paystack_transaction("ps-button", status="failed", amount=300000, currency="NGN", gateway_response="Declined by the bank")
    initialize(hub, "ps-button", "paystack", amount="3000.00")
    before = len(providers.calls_to("paystack", "/transaction/verify/ps-button"))
    browser_sign_in(browser, hub, "ada", "admin", next="/payments")
    shots = pathlib.Path("/tmp/shots")
    shots.mkdir(exist_ok=True)
    for width, height in [(1366, 900), (390, 844)]:
        browser.set_window_size(width, height)
        browser.get(hub.base + "/payments")
        button = WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.CSS_SELECTOR, 'button.check-provider[aria-label="Check ps-button with paystack"]'))
        button.click()
        def answer_shown(d):
            try:
                return [e.text for e in d.find_elements(By.CSS_SELECTOR, ".check-result") if "paystack says failed" in e.text]
            except StaleElementReferenceException:  # the list was drawn anew meanwhile
                return False
        said = WebDriverWait(browser, 15).until(answer_shown)
        assert "Declined by the bank" in said[0]
        browser.execute_script("document.querySelector('.check-result:not([hidden])').scrollIntoView({block: 'center'})")
        browser.save_screenshot(str(shots / f"payments-check-{width}.png"))
    assert len(providers.calls_to("paystack", "/transaction/verify/ps-button")) >= before + 2
    assert any(c["asked_by"] == "console" for c in checks(hub, "ps-button"))
    assert browser.execute_script("return (window.__errors || []).length") == 0
