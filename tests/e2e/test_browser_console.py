"""The console's pages in a real browser (Debian's headless Chromium): data made through the
API, each page shows it to an operator signed in with a one-time link (console_login); the
Resolve button on /payments resolves a gap, which then leaves every open page; the dashboard's chart is drawn from the hub's history on a fresh load.
Each page is saved at desktop width and at 390 px in test-artifacts/ for a person to look at,
and none may scroll sideways on the phone."""
import pathlib
import time
import urllib.parse
import urllib.request

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from console_login import browser_sign_in  # noqa: E402
from hubproc import Hub  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KEY = {"Authorization": "Bearer e2e-key"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("console")), "--web-root", str(ROOT / "web"), "--gap-grace", "1s", "--currency", "NGN",
              "--broadcast-interval", "100ms", "--paystack-secret", "sk_console")
    # A shopper: a session over several pages, a failed card, then a payment that the provider
    # confirmed and nobody credited (a gap), a credited one, ledger entries and activity.
    hub.beacon("session/start", {"session_id": "shop-1", "user_id": "u-ann", "email": "ann@shop.test"})
    hub.beacon("track/page-visit", {"session_id": "shop-1", "page_type": "homepage"})
    hub.beacon("track/page-visit", {"session_id": "shop-1", "page_type": "category", "page_identifier": "headphones"})
    hub.beacon("track/checkout-start", {"session_id": "shop-1", "checkout_items": [{"name": "Headphones"}], "total_amount": "89.90"})
    hub.beacon("track/payment-error", {"session_id": "shop-1", "error_code": "card_declined", "error_message": "Your card was declined."})
    hub.beacon("session/start", {"session_id": "shop-2"})
    hub.beacon("track/page-visit", {"session_id": "shop-2", "page_type": "offer", "page_identifier": "black-friday"})
    hub.beacon("session/start", {"session_id": "shop-3"})
    hub.beacon("track/payment-success", {"session_id": "shop-3", "reference": "pay-ok", "amount": "15.00"})

    def event(reference, stage, **extra):
        body = {"reference": reference, "provider": "paystack", "stage": stage, "amount": "15", "currency": "NGN",
                "user_id": "u-ann", "email": "ann@shop.test", **extra}
        assert hub.request("POST", "/api/payments/events", body, KEY)[0] == 200

    for stage in ("initialized", "completed", "credited"):
        event("pay-ok", stage)
    event("pay-gap", "initialized")
    event("pay-gap", "completed")
    event("pay-fail", "initialized", provider="stripe")
    event("pay-fail", "failed", provider="stripe", error_message="insufficient funds")
    for i, (kind, amount) in enumerate([("credit", "100.00"), ("sms_purchase", "12.50"), ("debit", "60.00"), ("refund", "5.00")]):
        status, _, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "u-ann", "amount": amount, "type": kind,
                                                                          "description": kind + " test", "reference": f"led-{i}"}, KEY)
        assert status == 201
    for action in ("registration_started", "registration_completed", "email_verified"):
        hub.request("POST", "/api/activity", {"user_id": "u-ann", "email": "ann@shop.test", "action": action, "status": "success"}, KEY)
    hub.request("POST", "/api/webhooks/paystack", raw=b'{"event":"charge.success","data":{"reference":"pay-gap"}}',
                headers={"Content-Type": "application/json", "x-paystack-signature": "00" * 64})
    deadline = time.time() + 10
    while time.time() < deadline and not hub.request("GET", "/api/payments/gaps", headers=KEY)[1]:
        time.sleep(0.2)
    assert [g["reference"] for g in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]] == ["pay-gap"]
    yield hub
    hub.stop()


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the page never showed {what}; it shows: {driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def text(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


OPERATORS = {"admin": "ada", "support": "sue", "seller": "sam"}


def open_page(driver, hub, path, role="admin"):
    """Signs in as the role's operator with a fresh one-time link that goes on to the page."""
    browser_sign_in(driver, hub, OPERATORS[role], role, next=path)
    assert urllib.parse.urlsplit(driver.current_url).path == urllib.parse.urlsplit(path).path, driver.current_url


def screenshots(driver, name, ready):
    """The page at desktop width, then at 390 px (no sideways scroll there), saved both times."""
    ARTIFACTS.mkdir(exist_ok=True)
    def whole_page(width):
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height, 800), 4000))
        time.sleep(0.3)

    driver.set_window_size(1400, 1000)
    whole_page(1400)
    assert driver.save_screenshot(str(ARTIFACTS / f"{name}-desktop.png"))
    driver.set_window_size(390, 844)
    try:
        wait_for(driver, f"{name} at 390 px", ready)
    except AssertionError:
        driver.save_screenshot(str(ARTIFACTS / f"{name}-phone-failed.png"))
        raise
    whole_page(390)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"{name} scrolls sideways at 390 px: {width} px wide"
    assert driver.save_screenshot(str(ARTIFACTS / f"{name}-phone.png"))
    driver.set_window_size(1400, 1000)


def chart_pixels(driver):
    """How many pixels of the chart's line colour the canvas holds."""
    return driver.execute_script("""
        const c = document.getElementById('chart'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+1] > 150 && d[i] < 130 && d[i+3] > 100) n++; return n;""")


def test_dashboard_draws_its_chart_and_figures_from_the_hub_on_a_fresh_load(hub, browser):
    history = hub.request("GET", "/api/metrics/history?minutes=60", headers=KEY)[1]
    assert all(p["minute"].endswith(":00Z") for p in history) and len({p["minute"] for p in history}) == len(history)
    assert history and history[-1]["total_active"] == 3 and sum(p["paid"] for p in history) == 1 and sum(p["payment_errors"] for p in history) == 1
    for _ in range(2):  # a reload is a fresh load: nothing comes from the browser's memory
        open_page(browser, hub, "/", role="seller")
        wait_for(browser, "the chart", lambda: "now 3" in text(browser, "#chart-caption") and chart_pixels(browser) > 30)
    wait_for(browser, "the day's figures", lambda: text(browser, "#tile-errors-hour") == "1" and text(browser, "#tile-paid-today") == "2"
             and text(browser, "#tile-revenue") == "30.00 NGN" and text(browser, "#tile-total") == "3"
             and text(browser, "#tile-conversion") == "33.3 %")
    assert text(browser, "#tile-payment-errors") == "1", "one session is on the error page now"
    wait_for(browser, "the open gap once", lambda: "pay-gap" in text(browser, "#gaps") and "15.00 NGN" in text(browser, "#gaps"))
    alerts = text(browser, "#alerts")
    assert "Payment not credited" not in alerts, "a gap is listed once, under the open gaps"
    assert "Payment credited" in alerts and "Large deduction" in alerts, "alerts raised before the page opened are listed"
    screenshots(browser, "dashboard", lambda: chart_pixels(browser) > 20)


def test_payments_resolve_a_gap_which_leaves_every_open_page(hub, browser):
    open_page(browser, hub, "/", role="seller")
    dashboard = browser.current_window_handle
    wait_for(browser, "the gap on the dashboard", lambda: "pay-gap" in text(browser, "#gaps"))
    browser.switch_to.new_window("window")
    open_page(browser, hub, "/payments")
    wait_for(browser, "the payment stats", lambda: "Gaps\n1" in text(browser, "#stats") and "Credited\n1" in text(browser, "#stats")
             and "Median to credit" in text(browser, "#stats"))
    wait_for(browser, "the gap with its trail", lambda: "pay-gap" in text(browser, "#problems") and "completed" in text(browser, "#problems"))
    wait_for(browser, "the webhook deliveries", lambda: "✗ invalid" in text(browser, "#deliveries") and "rejected" in text(browser, "#deliveries"))
    wait_for(browser, "recent payments", lambda: "pay-ok" in text(browser, "#payments") and "pay-fail" in text(browser, "#payments"))
    browser.find_element(By.CSS_SELECTOR, "#provider-filter option[value=stripe]").click()
    wait_for(browser, "the provider filter", lambda: "pay-fail" in text(browser, "#payments") and "pay-ok" not in text(browser, "#payments"))
    screenshots(browser, "payments", lambda: "pay-gap" in text(browser, "#problems"))

    row = browser.find_element(By.CSS_SELECTOR, ".problem[data-reference=pay-gap]")
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, "that a note is required", lambda: "a note is required" in row.text)
    row.find_element(By.TAG_NAME, "input").send_keys("credited by hand after the customer called")
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, "the gap gone from /payments", lambda: "pay-gap" not in text(browser, "#problems") and "Nothing open" in text(browser, "#problems"))
    browser.switch_to.window(dashboard)
    wait_for(browser, "the gap gone from the dashboard", lambda: "pay-gap" not in text(browser, "#gaps") and text(browser, "#tile-gaps") == "0")
    payment = [p for p in hub.request("GET", "/api/payments?reference=pay-gap", headers=KEY)[1]][0]
    assert payment["gap"] is False and payment["resolutions"][0]["note"] == "credited by hand after the customer called"
    browser.switch_to.window(dashboard)
    for handle in browser.window_handles:
        if handle != dashboard:
            browser.switch_to.window(handle)
            browser.close()
    browser.switch_to.window(dashboard)


def test_support_tells_one_persons_whole_story(hub, browser):
    open_page(browser, hub, "/support?q=ann@shop.test")
    wait_for(browser, "the timeline", lambda: "balance after" in text(browser, "#timeline"))
    story = text(browser, "#timeline")
    for expected in ("Session shop-1 started", "category headphones", "card_declined", "pay-gap completed", "pay-ok credited",
                     "pay-fail failed", "insufficient funds", "paystack delivery rejected", "balance after 32.50",
                     "registration_completed success", "Large deduction"):
        assert expected in story, f"{expected!r} is not in the story:\n{story}"
    screenshots(browser, "support", lambda: "balance after" in text(browser, "#timeline"))
    # By payment reference, the same person is found.
    open_page(browser, hub, "/support?q=pay-ok")
    wait_for(browser, "the story by reference", lambda: "card_declined" in text(browser, "#timeline"))


def test_wallet_monitor_and_one_users_history(hub, browser):
    open_page(browser, hub, "/wallet")
    wait_for(browser, "the totals", lambda: "Credits added\n100.00" in text(browser, "#totals") and "Unique users\n1" in text(browser, "#totals"))
    assert "Spent\n72.50" in text(browser, "#totals") and "Refunded\n5.00" in text(browser, "#totals")
    status, _, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "u-bob", "amount": "7.00", "type": "credit",
                                                                      "description": "top-up", "reference": "led-live"}, KEY)
    assert status == 201
    wait_for(browser, "a new transaction without a reload", lambda: "u-bob" in text(browser, "#recent"))
    browser.find_element(By.ID, "user").send_keys("u-ann")
    browser.find_element(By.CSS_SELECTOR, "#user + button").click()
    wait_for(browser, "u-ann's history", lambda: text(browser, "#user-balance") == "32.50" and "led-3" in text(browser, "#user-history"))
    screenshots(browser, "wallet", lambda: "u-ann" in text(browser, "#user-history"))


def test_funnels_are_drawn_with_their_drop_off(hub, browser):
    open_page(browser, hub, "/funnels", role="seller")
    wait_for(browser, "three funnels", lambda: len(browser.find_elements(By.CSS_SELECTOR, "[data-funnel]")) == 3)
    registration = text(browser, "[data-funnel=registration]")
    assert "registration started" in registration and "first login" in registration and "−100 %" in registration
    checkout = text(browser, "[data-funnel=checkout]")
    assert "session started\n3" in checkout and "payment succeeded" in checkout
    screenshots(browser, "funnels", lambda: len(browser.find_elements(By.CSS_SELECTOR, "[data-funnel]")) == 3)


def test_a_seller_is_told_what_support_needs(hub, browser):
    open_page(browser, hub, "/support", role="seller")
    wait_for(browser, "the notice", lambda: "needs the support or admin role" in text(browser, "#needs-role"))
    assert "sam (seller)" in text(browser, "#needs-role")
    seller = {"Authorization": "Bearer " + hub.token("seller")}
    assert hub.request("GET", "/api/sessions?email=ann@shop.test", headers=seller)[0] == 403, "sessions hold contact details: admin only"
    assert hub.request("GET", "/api/sessions", headers=KEY)[0] == 400
    assert [s["session_id"] for s in hub.request("GET", "/api/sessions?phone=+1%20555", headers=KEY)[1]] == []
    with urllib.request.urlopen(hub.base + "/favicon.ico", timeout=5) as answer:
        assert answer.headers["Content-Type"] == "image/x-icon" and answer.read(4) == b"\0\0\1\0"


@pytest.mark.parametrize("signal", ["Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});",
                                    "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});"],
                         ids=["global-privacy-control", "do-not-track"])
def test_the_tracker_honours_the_browsers_privacy_signal_until_the_shop_opts_in(hub, browser, signal):
    """With GPC or DNT on (headless Chromium sends neither by itself: the page sees it as a
    browser that does), the demo store's tracker stores no session id and sends nothing;
    LiveHub.optIn() starts it, LiveHub.optOut() ends the session and forgets it. Last in
    this module: it changes the totals."""
    def total():
        return hub.request("GET", "/api/metrics/live-metrics", headers=KEY)[1]["total_active"]

    before = total()
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": signal})
    try:
        browser.get(hub.base + "/demo/")
        browser.execute_script("localStorage.clear()")
        browser.get(hub.base + "/demo/?page=category&id=gpc")
        WebDriverWait(browser, 5).until(lambda d: d.execute_script("return !!window.LiveHub"))
        time.sleep(1)
        assert browser.execute_script("return LiveHub.isTracking()") is False
        assert browser.execute_script("return localStorage.getItem('livehub_session')") is None, "no session id is stored"
        assert total() == before, "a browser that asks not to be tracked is not counted"
        browser.execute_script("LiveHub.optIn()")
        wait_for(browser, "the opted-in session counted", lambda: total() == before + 1)
        browser.get(hub.base + "/demo/?page=category&id=gpc")  # the choice is remembered across pages
        WebDriverWait(browser, 5).until(lambda d: d.execute_script("return !!window.LiveHub && LiveHub.isTracking()"))
        browser.execute_script("LiveHub.optOut()")
        wait_for(browser, "the session ended on opt-out", lambda: total() == before)
        assert browser.execute_script("return localStorage.getItem('livehub_session')") is None
        browser.get(hub.base + "/demo/")
        time.sleep(1)
        assert total() == before and browser.execute_script("return LiveHub.isTracking()") is False, "opted out stays out"
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
        browser.execute_script("localStorage.clear()")
