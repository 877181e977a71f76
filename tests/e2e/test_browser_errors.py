"""The dashboard's payment errors in a real browser (Debian's headless Chromium): a row opens
onto its details (what the store sent in error_details, the IP as the hub keeps it, the user
agent, the session), all as text; at a phone's width (390 px) the list is cards, with the
error's code and message on screen and nothing scrolling sideways. Screenshots at 1366 and
390 px are saved in test-artifacts/ for a person to look at."""
import base64
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from conftest import free_port  # noqa: E402
from console_login import browser_sign_in  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KEY = "errors-key"
AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
HOSTILE = "<img src=x onerror=window.__pwned=1>"

# Collects the page's Content-Security-Policy violations from its first byte on.
CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def errors_hub():
    binary = os.environ["LIVEHUB_BIN"]
    port = free_port()
    data = tempfile.mkdtemp(prefix="livehub-errors-")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data, "--broadcast-interval", "100ms",
                             "--api-key", KEY, "--web-root", str(ROOT / "web")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started = False
    for line in proc.stdout:
        if line.decode().startswith("demo store: "):
            started = True
            break
    assert started, "serve did not print the demo store's address"
    yield {"base": f"http://127.0.0.1:{port}"}
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(data, ignore_errors=True)


def beacon(hub, path, body):
    request = urllib.request.Request(hub["base"] + "/api/metrics/" + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "User-Agent": AGENT})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200, answer.status


def payment_error(hub, sid, code, message, details, email):
    beacon(hub, "session/start", {"session_id": sid})
    beacon(hub, "track/payment-error", {"session_id": sid, "error_code": code, "error_message": message,
                                        "error_details": details, "email": email})


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the dashboard never showed {what}: "
                             + driver.execute_script("return document.querySelector('#errors').innerText")[:2000]) from None


def error_row(driver, code):
    """The <tr> of the (newest) error with this code, found by its Code cell."""
    for row in driver.find_elements(By.CSS_SELECTOR, "#errors tbody tr.error-row"):
        if row.find_element(By.CSS_SELECTOR, "td.code").text == code:
            return row
    raise AssertionError(f"no error row with code {code}")


def panel_of(driver, row):
    """The details panel a row's toggle controls (the element its aria-controls names)."""
    toggle = row.find_element(By.CSS_SELECTOR, "button[aria-expanded]")
    return driver.find_element(By.ID, toggle.get_attribute("aria-controls"))


def open_dashboard(driver, hub):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    browser_sign_in(driver, hub, "sam", "seller", key=KEY)
    driver.get(hub["base"] + "/")
    wait_for(driver, "the live indicator", lambda: driver.find_element(By.ID, "status").text == "live")


def set_width(driver, width, height=900):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    assert driver.execute_script("return window.innerWidth") == width


def full_page_screenshot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot["data"]))


def test_error_details_and_phone_cards(errors_hub, browser):
    open_dashboard(browser, errors_hub)
    payment_error(errors_hub, "err-sess-1", "card_declined", "Your card was declined: the bank says there are insufficient funds.",
                  {"gateway": "stripe", "decline_code": "insufficient_funds", "last4": "4242",
                   "attempt": {"n": 2, "3ds": True}}, "buyer@example.com")
    wait_for(browser, "the payment error", lambda: "card_declined" in browser.find_element(By.ID, "errors").text)

    row = error_row(browser, "card_declined")
    toggle = row.find_element(By.CSS_SELECTOR, "button[aria-expanded]")
    assert toggle.get_attribute("aria-expanded") == "false"
    panel = panel_of(browser, row)
    assert not panel.is_displayed(), "the details show before the row is opened"
    assert "insufficient_funds" not in browser.find_element(By.ID, "errors").text

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    wait_for(browser, "the details panel", lambda: panel.is_displayed())
    text = panel.text
    for shown in ("insufficient_funds", "4242", "stripe", "gateway", "127.0.0.0", "err-sess-1"):
        assert shown in text, f"{shown!r} is not in the details panel: {text!r}"
    assert '{"n":2,"3ds":true}' in text, "a nested value is not shown as compact JSON: " + text
    assert "127.0.0.1" not in text, "the details show the full address, not the one the hub keeps"
    assert AGENT in text, "the details do not show the user agent"

    # A second error arrives: the list is rebuilt, the first stays open, the new one closed.
    payment_error(errors_hub, "err-sess-2", "expired_card", "The card has expired.",
                  {"gateway": "adyen", "refusal_reason": "Expired Card"}, "other@example.com")
    wait_for(browser, "the second error", lambda: "expired_card" in browser.find_element(By.ID, "errors").text)
    first, second = error_row(browser, "card_declined"), error_row(browser, "expired_card")
    assert first.find_element(By.CSS_SELECTOR, "button[aria-expanded]").get_attribute("aria-expanded") == "true"
    assert panel_of(browser, first).is_displayed() and "insufficient_funds" in panel_of(browser, first).text
    assert second.find_element(By.CSS_SELECTOR, "button[aria-expanded]").get_attribute("aria-expanded") == "false"
    assert not panel_of(browser, second).is_displayed()

    # By keyboard: the toggle is a button that Enter opens and closes.
    from selenium.webdriver.common.keys import Keys
    second_toggle = second.find_element(By.CSS_SELECTOR, "button[aria-expanded]")
    second_toggle.send_keys(Keys.ENTER)
    assert second_toggle.get_attribute("aria-expanded") == "true" and "Expired Card" in panel_of(browser, second).text
    second_toggle.send_keys(Keys.ENTER)
    assert second_toggle.get_attribute("aria-expanded") == "false" and not panel_of(browser, second).is_displayed()

    browser.execute_script("document.activeElement.blur()")
    set_width(browser, 1366)
    full_page_screenshot(browser, "errors-1366.png")

    # A phone: the error's code and message are on screen, nothing scrolls sideways.
    set_width(browser, 390, 844)
    try:
        browser.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")  # laid out anew
        for code in ("card_declined", "expired_card"):
            row = error_row(browser, code)
            for cell in ("td.time", "td.customer", "td.amount", "td.code", "td.message"):
                node = row.find_element(By.CSS_SELECTOR, cell)
                rect = node.rect
                assert node.is_displayed() and rect["width"] > 0, f"{code}: {cell} is not shown at 390 px"
                assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 390, f"{code}: {cell} is off-screen at 390 px: {rect}"
        panel = panel_of(browser, error_row(browser, "card_declined"))
        assert panel.is_displayed() and "insufficient_funds" in panel.text
        assert panel.rect["x"] >= 0 and panel.rect["x"] + panel.rect["width"] <= 390, f"the details panel is off-screen: {panel.rect}"
        widths = browser.execute_script("return [document.documentElement.scrollWidth, document.body.scrollWidth,"
                                        " document.querySelector('#errors').parentElement.scrollWidth,"
                                        " document.querySelector('#errors').parentElement.clientWidth]")
        assert widths[0] <= 390 and widths[1] <= 390, f"the page scrolls sideways at 390 px: {widths}"
        assert widths[2] <= widths[3], f"the errors' list scrolls sideways inside its panel at 390 px: {widths}"
        full_page_screenshot(browser, "errors-390.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert browser.execute_script("return window.__csp") == [], "the page broke its Content-Security-Policy"


def test_hostile_details_are_text(errors_hub, browser):
    # The page's own CSP would block an inline handler anyway: bypassed here, so what is tested
    # is that the dashboard never makes markup of what a store sends.
    browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    try:
        open_dashboard(browser, errors_hub)
        payment_error(errors_hub, "err-sess-evil", "evil_code", "<b>bold</b> message", {"x": HOSTILE}, "evil@example.com")
        wait_for(browser, "the hostile error", lambda: "evil_code" in browser.find_element(By.ID, "errors").text)
        row = error_row(browser, "evil_code")
        row.find_element(By.CSS_SELECTOR, "button[aria-expanded]").click()
        panel = panel_of(browser, row)
        wait_for(browser, "the hostile details", lambda: panel.is_displayed())
        assert HOSTILE in panel.text, "the hostile value is not shown as text: " + panel.text
        assert "<b>bold</b> message" in row.text
        assert browser.find_elements(By.CSS_SELECTOR, "#errors img, #errors b") == [], "a store's text became markup"
        WebDriverWait(browser, 1).until(lambda d: d.execute_script(
            "return document.readyState") == "complete")
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
    finally:
        browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": False})
