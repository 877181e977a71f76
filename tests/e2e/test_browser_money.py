"""Money on the console's pages in a real browser (Debian's headless Chromium), against a hub
whose shop counts in NGN: every amount is shown with its currency and nothing adds two
currencies (the dashboard's revenue tile, /payments' stats); payments resolved by hand
without a credit are said to be so, never "every confirmed payment was credited"; an admin
credits a gap from /support by clicking, and the balance shown there follows; /support finds
a payment by the provider's own id (a Paystack transaction id from a signed webhook), and an
amount the provider counts differently is listed with both amounts. Every page keeps its
Content-Security-Policy and runs without a script error. Screenshots of the dashboard and of
/payments at 1366x900 and 390x844 are saved in /tmp/shots/ for a person to look at."""
import base64
import hashlib
import hmac
import json
import pathlib
import re
import time
import urllib.parse

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from console_login import browser_sign_in  # noqa: E402
from hubproc import Hub  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = pathlib.Path("/tmp/shots")
KEY = {"Authorization": "Bearer e2e-key"}
PAYSTACK_SECRET = "sk_test_money"
HOSTILE = "<img src=x onerror=window.__pwned=1>"
OPERATORS = {"admin": "ada", "support": "sue", "seller": "sam"}

# From the page's first byte: its Content-Security-Policy violations and its script errors.
WATCH = """window.__csp = []; window.__errors = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason && e.reason.message || e.reason)));"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("money")), "--web-root", str(ROOT / "web"), "--currency", "NGN", "--gap-grace", "1s",
              "--broadcast-interval", "100ms", "--paystack-secret", PAYSTACK_SECRET)
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def page(browser):
    """The module's browser, watching every page it opens for CSP violations and script errors."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


# --- the hub's side -------------------------------------------------------------------------

def event(hub, reference, stage, amount=None, currency=None, **extra):
    body = {"reference": reference, "provider": extra.pop("provider", "paystack"), "stage": stage, **extra}
    if amount is not None:
        body["amount"] = amount
    if currency is not None:
        body["currency"] = currency
    status, answer, _ = hub.request("POST", "/api/payments/events", body, KEY)
    assert status == 200, answer


def confirmed(hub, reference, amount, currency=None, **extra):
    """A payment initialized by the shop and confirmed by the provider (webhook_received)."""
    event(hub, reference, "initialized", amount, currency, **extra)
    event(hub, reference, "webhook_received", amount, currency, **extra)


def payment(hub, reference):
    status, found, _ = hub.request("GET", "/api/payments?reference=" + urllib.parse.quote(reference), headers=KEY)
    assert status == 200, found
    return found[0] if found else None


def open_problems(hub):
    return {p["reference"]: p for p in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]}


def wait_until(what, check, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("the hub never got to " + what)


def paystack_webhook(hub, reference, transaction_id, kobo, email):
    """A charge.success delivery signed as Paystack signs it (HMAC-SHA512 of the body)."""
    body = json.dumps({"event": "charge.success", "data": {"id": transaction_id, "domain": "test", "status": "success",
                                                          "reference": reference, "amount": kobo, "currency": "NGN",
                                                          "gateway_response": "Approved", "customer": {"email": email}}}).encode()
    signature = hmac.new(PAYSTACK_SECRET.encode(), body, hashlib.sha512).hexdigest()
    status, answer, _ = hub.request("POST", "/api/webhooks/paystack", raw=body,
                                    headers={"Content-Type": "application/json", "x-paystack-signature": signature})
    assert status == 200 and answer["reference"] == reference, answer


def payment_error(hub, sid, code, message, amount, email):
    hub.beacon("session/start", {"session_id": sid, "email": email})
    hub.beacon("track/checkout-start", {"session_id": sid, "checkout_items": [{"name": "Headphones", "qty": 1}], "total_amount": amount})
    hub.beacon("track/payment-error", {"session_id": sid, "error_code": code, "error_message": message, "email": email,
                                       "error_details": {"gateway": "paystack", "attempt": 1}})


# --- the browser's side ---------------------------------------------------------------------

def open_page(driver, hub, path, role="admin"):
    browser_sign_in(driver, hub, OPERATORS[role], role, next=path)
    assert urllib.parse.urlsplit(driver.current_url).path == urllib.parse.urlsplit(path).path, driver.current_url


def text(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def plain(words):
    """Text with the grouping between digits taken out ("5,000.00" → "5000.00"), whatever the
    browser's locale groups with."""
    return re.sub(r"(?<=\d)[,\u00a0\u202f\u2009 '](?=\d{3}\b)", "", words)


def wait_for(driver, what, check, timeout=10):
    try:
        # The pages redraw as the hub's news comes: an element read as it is replaced is asked again.
        WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the page never showed {what}; it shows:\n{driver.find_element(By.TAG_NAME, 'body').text[:3000]}") from None


def policy_kept(driver):
    assert driver.execute_script("return window.__csp") == [], "the page broke its Content-Security-Policy"
    assert driver.execute_script("return window.__errors") == [], "the page had a script error"
    assert driver.execute_script("return typeof window.__pwned") == "undefined"


def set_width(driver, width, height):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")
    assert driver.execute_script("return window.innerWidth") == width


def screenshots(driver, name, phone_check=None):
    """The whole page at 1366x900 and at 390x844 (where nothing may scroll sideways), in
    /tmp/shots/: laid out at that width, then drawn at the page's full height."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for width, height in ((1366, 900), (390, 844)):
            set_width(driver, width, height)
            time.sleep(0.3)
            widths = driver.execute_script("return [document.documentElement.scrollWidth, document.body.scrollWidth]")
            assert max(widths) <= width, f"{name} scrolls sideways at {width} px: {widths}"
            if width == 390 and phone_check:
                phone_check()
            full = driver.execute_script("return document.documentElement.scrollHeight")
            set_width(driver, width, max(height, full))
            time.sleep(0.3)
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
            (SHOTS / f"{name}-{width}x{height}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- the tests, in order: each leaves the hub as the next expects -----------------------------

THREE = {"m-ngn": ("5000.00", "NGN"), "m-usd": ("99.00", "USD"), "m-kes": ("1000.00", "KES")}
SUMS = ("6099", "6,099", "13599", "13,599", "7099")  # a sum of two or three currencies, however grouped


def test_every_currency_is_shown_on_its_own_never_added(hub, page):
    for reference, (amount, currency) in THREE.items():
        confirmed(hub, reference, amount, currency, user_id="u-" + reference, email=reference + "@shop.test")
    payment_error(hub, "err-1", "card_declined", "Your card was declined.", "5000.00", "ann@shop.test")
    payment_error(hub, "err-2", "insufficient_funds", "The bank says there are not enough funds on this card.", "99.00", "bob@shop.test")
    stats = hub.request("GET", "/api/payments/stats?window=24h", headers=KEY)[1]
    assert stats["currency"] == "NGN" and [t["currency"] for t in stats["totals"]] == ["NGN", "KES", "USD"], stats

    open_page(page, hub, "/", role="seller")
    wait_for(page, "the revenue per currency", lambda: plain(text(page, "#tile-revenue")) == "5000.00 NGN"
             and plain(text(page, "#tile-revenue-others")) == "1000.00 KES · 99.00 USD")
    wait_for(page, "the three gaps, each in its currency", lambda: all(
        f"{amount} {currency}" in plain(text(page, "#gaps")) for amount, currency in THREE.values()))
    wait_for(page, "the payment errors", lambda: "insufficient_funds" in text(page, "#errors"))
    tiles = " ".join(e.text for e in page.find_elements(By.CSS_SELECTOR, ".tiles"))
    assert not any(s in tiles or s in plain(tiles) for s in SUMS), "a tile adds two currencies: " + tiles
    assert text(page, "#tile-gaps") == "3" and "3 gaps" in text(page, "#tile-gaps-hint")
    page.execute_script("document.activeElement && document.activeElement.blur()")
    screenshots(page, "dashboard")
    policy_kept(page)

    open_page(page, hub, "/payments", role="admin")
    wait_for(page, "the confirmed amounts, one line per currency", lambda: plain(text(page, "#amounts .value")) == "5000.00 NGN"
             and [plain(li.text) for li in page.find_elements(By.CSS_SELECTOR, "#amounts li")] == ["1000.00 KES", "99.00 USD"])
    wait_for(page, "each payment with its currency", lambda: all(
        f"{amount} {currency}" in plain(text(page, f"#payments tr[data-reference={reference}]")) for reference, (amount, currency) in THREE.items()))
    stats_text = text(page, "#stats")
    assert not any(s in stats_text or s in plain(stats_text) for s in SUMS), "the stats add two currencies: " + stats_text

    def amounts_in_view():
        for reference in THREE:
            cell = page.find_element(By.CSS_SELECTOR, f"#payments tr[data-reference={reference}] td.amount")
            rect = cell.rect
            assert cell.is_displayed() and rect["x"] >= 0 and rect["x"] + rect["width"] <= 390, f"{reference}'s amount is off-screen at 390 px: {rect}"
    screenshots(page, "payments", amounts_in_view)
    policy_kept(page)


def test_payments_resolved_without_a_credit_are_said_to_be(hub, page):
    # The three confirmed payments above are credited by the shop: every confirmed payment
    # is credited, for now.
    for reference, (amount, currency) in THREE.items():
        event(hub, reference, "credited", amount, currency)
    wait_until("no open problem", lambda: not open_problems(hub))
    open_page(page, hub, "/payments", role="support")
    wait_for(page, "all credited", lambda: "every confirmed payment was credited" in text(page, "#problems").lower())

    # Two more confirmed, never credited: gaps a second on; support resolves them with a note.
    confirmed(hub, "g-one", "250.00", user_id="u-gina", email="gina@shop.test")
    confirmed(hub, "g-two", "1250.50", user_id="u-gina", email="gina@shop.test")
    wait_until("two gaps", lambda: {"g-one", "g-two"} <= set(open_problems(hub)))
    wait_for(page, "the two gaps", lambda: page.find_elements(By.CSS_SELECTOR, ".problem[data-reference=g-two]")
             and page.find_elements(By.CSS_SELECTOR, ".problem[data-reference=g-one]"))
    assert "Credit…" not in text(page, "#problems"), "support does not credit: admins only"
    row = page.find_element(By.CSS_SELECTOR, ".problem[data-reference=g-one]")
    row.find_element(By.CSS_SELECTOR, "form input").send_keys("refunded through the provider instead")  # the first form: Resolve
    row.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for(page, "g-one resolved", lambda: not page.find_elements(By.CSS_SELECTOR, ".problem[data-reference=g-one]"))
    sue = {"Authorization": "Bearer " + hub.token("support", "sue")}
    status, answer, _ = hub.request("POST", "/api/payments/resolve", {"reference": "g-two", "note": HOSTILE}, sue)
    assert status == 200 and answer["status"] == "resolved", answer

    wait_for(page, "what is true about the open problems", lambda: "resolved by hand without a credit" in text(page, "#problems"), timeout=15)
    problems = text(page, "#problems")
    assert "Nothing open." in problems and "2 confirmed payments were resolved by hand without a credit" in problems, problems
    assert "every confirmed payment was credited" not in problems.lower(), problems
    wait_for(page, "the resolved count", lambda: "Resolved\n2" in text(page, "#stats"))

    # The status filter speaks the one vocabulary; resolved payments carry who and the note.
    words = [o.get_attribute("value") for o in page.find_elements(By.CSS_SELECTOR, "#status-filter option")]
    assert words == ["", "pending", "initialized", "completed", "webhook_received", "credited", "failed", "resolved",
                     "gap", "unmatched", "amount_mismatch"], words
    page.find_element(By.CSS_SELECTOR, "#status-filter option[value=resolved]").click()
    wait_for(page, "the resolved payments", lambda: "g-one" in text(page, "#payments") and "m-ngn" not in text(page, "#payments"))
    one, two = text(page, "#payments tr[data-reference=g-one]"), text(page, "#payments tr[data-reference=g-two]")
    assert "resolved by sue: refunded through the provider instead" in one, one
    assert "resolved by sue: " + HOSTILE in two, "a note is shown as text: " + two
    assert not page.find_elements(By.CSS_SELECTOR, "#payments img, #problems img"), "a note became markup"
    policy_kept(page)

    # The dashboard says the same.
    open_page(page, hub, "/", role="seller")
    wait_for(page, "none open, two resolved by hand", lambda: "none open" in text(page, "#gaps")
             and "2 payments were resolved by hand without a credit" in text(page, "#gaps"))
    assert "credited" not in text(page, "#gaps").replace("without a credit", "")
    policy_kept(page)


def test_an_admin_credits_a_gap_from_support(hub, page):
    status, _, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "u-carol", "amount": "100.00", "type": "credit",
                                                                      "description": "welcome credits", "reference": "carol-welcome"}, KEY)
    assert status == 201
    confirmed(hub, "c-gap", "2500.00", user_id="u-carol", email="carol@shop.test")
    wait_until("c-gap a gap", lambda: "c-gap" in open_problems(hub))

    # Support sees the balance and the gap, not the Credit action.
    open_page(page, hub, "/support?q=carol@shop.test", role="support")
    wait_for(page, "the balance", lambda: plain(text(page, "#balance [data-user=u-carol]")).endswith("100.00 credits"))
    wait_for(page, "the payment", lambda: "c-gap" in text(page, "#support-payments"))
    assert not page.find_elements(By.CSS_SELECTOR, "#support-payments button.credit-open"), "support may not credit"

    open_page(page, hub, "/support?q=carol@shop.test", role="admin")
    wait_for(page, "the gap with its Credit action", lambda: page.find_elements(By.CSS_SELECTOR, "#support-payments tr[data-reference=c-gap] button.credit-open"))
    assert "became a gap" in text(page, "#timeline")
    page.find_element(By.CSS_SELECTOR, "#support-payments tr[data-reference=c-gap] button.credit-open").click()
    form = page.find_element(By.CSS_SELECTOR, "form.credit[data-reference=c-gap]")
    assert form.find_element(By.NAME, "amount").get_attribute("value") == "2500.00"
    user = form.find_element(By.NAME, "user_id")
    assert user.get_attribute("value") == "u-carol" and user.get_attribute("readonly") is not None
    form.find_element(By.NAME, "note").send_keys("customer sent the receipt")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    wait_for(page, "the credit's outcome", lambda: "Credited 2500.00 to user u-carol" in plain(text(page, "#credit-outcome")))
    wait_for(page, "the new balance", lambda: plain(text(page, "#balance [data-user=u-carol]")).endswith("2600.00 credits"), timeout=30)
    credited = payment(hub, "c-gap")
    assert credited["status"] == "credited" and credited["kind"] is None and "c-gap" not in open_problems(hub), credited
    assert hub.request("GET", "/api/wallet/balance?user_id=u-carol", headers=KEY)[1]["balance"] == 2600.0
    wait_for(page, "the whole story", lambda: "credited 2500.00 to user u-carol by ada: customer sent the receipt" in text(page, "#timeline"))
    story = [li.text for li in page.find_elements(By.CSS_SELECTOR, "#timeline li")]
    at = lambda words: next(i for i, line in enumerate(story) if words in line)  # noqa: E731
    # Newest first: the credit by hand, then (below it) the gap it closed, then the confirmation.
    assert at("credited 2500.00 to user u-carol by ada") < at("c-gap became a gap") < at("c-gap webhook_received"), "\n".join(story)
    assert not page.find_elements(By.CSS_SELECTOR, "#support-payments tr[data-reference=c-gap] button.credit-open"), "credited: no more Credit"
    policy_kept(page)


def test_support_finds_a_payment_by_the_providers_id_and_both_amounts_of_a_mismatch(hub, page):
    event(hub, "d-ps", "initialized", "12500.00", user_id="u-dan", email="dan@shop.test")
    paystack_webhook(hub, "d-ps", 4099123, 1250000, "dan@shop.test")
    event(hub, "d-mm", "initialized", "20000.00", user_id="u-dan", email="dan@shop.test")
    paystack_webhook(hub, "d-mm", 4099124, 1000000, "dan@shop.test")
    assert payment(hub, "4099123")["reference"] == "d-ps", "the API finds a payment by the provider's id"
    wait_until("the mismatch", lambda: open_problems(hub).get("d-mm", {}).get("kind") == "amount_mismatch")

    open_page(page, hub, "/support", role="admin")
    page.find_element(By.ID, "q").send_keys("4099123")
    page.find_element(By.CSS_SELECTOR, "form.toolbar button[type=submit]").click()
    wait_for(page, "the payment found by the provider's id", lambda: "d-ps" in text(page, "#support-payments"))
    assert "paystack 4099123" in text(page, "#support-payments tr[data-reference=d-ps]")
    assert "paystack id 4099123" in text(page, "#timeline") and "d-ps webhook_received" in text(page, "#timeline")
    policy_kept(page)

    # The mismatch on /payments: the shop's amount and the provider's, with Resolve.
    open_page(page, hub, "/payments", role="admin")
    wait_for(page, "the mismatch", lambda: page.find_elements(By.CSS_SELECTOR, ".problem[data-reference=d-mm]"))
    row = page.find_element(By.CSS_SELECTOR, ".problem[data-reference=d-mm]")
    words = plain(row.text)
    assert "shop 20000.00 NGN" in words and "provider 10000.00 NGN" in words and "4099124" in words, words
    assert row.find_elements(By.CSS_SELECTOR, "form.resolve button") and row.find_elements(By.CSS_SELECTOR, "button.credit-open")
    wait_for(page, "the provider's id on its row", lambda: "paystack 4099123" in text(page, "#payments tr[data-reference=d-ps]"))
    wait_for(page, "the mismatch counted", lambda: "Amount mismatch\n1" in text(page, "#stats"))
    policy_kept(page)

    # Credit from /support: the amount must be chosen; what the hub refuses is said.
    open_page(page, hub, "/support?q=d-mm", role="admin")
    wait_for(page, "the mismatch's Credit action", lambda: page.find_elements(By.CSS_SELECTOR, "#support-payments tr[data-reference=d-mm] button.credit-open"))
    page.find_element(By.CSS_SELECTOR, "#support-payments tr[data-reference=d-mm] button.credit-open").click()
    form = page.find_element(By.CSS_SELECTOR, "form.credit[data-reference=d-mm]")
    assert form.find_element(By.NAME, "amount").get_attribute("value") == "", "a mismatch's amount is chosen by a person"
    page.execute_script("arguments[0].noValidate = true", form)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(page, "that the amount is needed", lambda: "type the amount" in text(page, "form.credit[data-reference=d-mm] .result"))
    event(hub, "d-mm", "credited", "20000.00")  # the shop credits it meanwhile
    form.find_element(By.NAME, "amount").send_keys("10000.00")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(page, "the hub's refusal", lambda: "Not credited: payment d-mm is already credited" in text(page, "form.credit[data-reference=d-mm] .result"))
    policy_kept(page)
