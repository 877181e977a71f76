"""A real browser (Debian's headless Chromium) opens the demo store and the dashboard,
both served by the hub, the dashboard as a seller signed in with a one-time link; as the store navigates, the dashboard's tiles follow. The
dashboard's screenshot is saved in test-artifacts/ for a person to look at."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import json
import time
import urllib.request

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from conftest import free_port  # noqa: E402
from console_login import browser_sign_in  # noqa: E402

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def store_hub():
    binary = os.environ["LIVEHUB_BIN"]
    port = free_port()
    data = tempfile.mkdtemp(prefix="livehub-browser-")
    root = pathlib.Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data, "--broadcast-interval", "100ms", "--api-key", "browser-key",
                             "--web-root", str(root / "web")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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


def tile(driver, name):
    return driver.find_element(By.ID, "tile-" + name).text


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        tiles = {n: tile(driver, n) for n in ("homepage", "checkout", "payment", "payment-errors", "total")}
        raise AssertionError(f"dashboard never showed {what}; tiles: {tiles}")


def test_dashboard_follows_the_store(store_hub, browser):
    browser_sign_in(browser, store_hub, "sam", "seller", key="browser-key")
    browser.get(store_hub["base"] + "/")
    dashboard = browser.current_window_handle
    wait_for(browser, "the live indicator", lambda: browser.find_element(By.ID, "status").text == "live")
    assert tile(browser, "total") == "0"

    browser.switch_to.new_window("window")
    store = browser.current_window_handle

    def on_store(url):
        browser.switch_to.window(store)
        browser.get(store_hub["base"] + url)

    def dashboard_shows(what, check):
        browser.switch_to.window(dashboard)
        wait_for(browser, what, check)

    on_store("/demo/")
    dashboard_shows("1 on the homepage", lambda: tile(browser, "homepage") == "1" and tile(browser, "total") == "1")

    on_store("/demo/?page=category&id=electronics")
    dashboard_shows("electronics", lambda: tile(browser, "homepage") == "0"
                    and "electronics" in browser.find_element(By.ID, "list-categories").text)

    on_store("/demo/?page=checkout")
    dashboard_shows("1 in checkout", lambda: tile(browser, "checkout") == "1" and tile(browser, "total") == "1")

    on_store("/demo/?page=pay")
    dashboard_shows("1 in payment", lambda: tile(browser, "payment") == "1" and tile(browser, "checkout") == "0")

    browser.switch_to.window(store)
    browser.find_element(By.ID, "pay-fail").click()
    dashboard_shows("the payment error", lambda: tile(browser, "payment-errors") == "1"
                    and "card_declined" in browser.find_element(By.ID, "errors").text)
    row = browser.find_element(By.CSS_SELECTOR, "#errors tbody tr").text
    assert "buyer@example.com" in row and "Headphones" in row and "89.90" in row and "Your card was declined." in row

    # A large deduction from the shop's backend shows up as an alert on the dashboard.
    request = urllib.request.Request(store_hub["base"] + "/api/wallet/transactions", method="POST",
                                     data=json.dumps({"user_id": "buyer", "amount": "75.00", "type": "debit",
                                                      "description": "bulk sms", "reference": "browser-1"}).encode(),
                                     headers={"Authorization": "Bearer browser-key", "Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=5).status == 201
    dashboard_shows("the alert", lambda: "Large deduction" in browser.find_element(By.ID, "alerts").text
                    and "Negative balance" in browser.find_element(By.ID, "alerts").text)

    # A shop's own page names: "home" is the homepage, the rest are "other pages"; no live
    # session is in no tile.
    def beacon(path, body):
        request = urllib.request.Request(store_hub["base"] + "/api/metrics/" + path, method="POST", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(request, timeout=5).status == 200
    for sid, page in (("own-1", "home"), ("own-2", "product"), ("own-3", "thank-you")):
        beacon("session/start", {"session_id": sid})
        beacon("track/page-visit", {"session_id": sid, "page_type": page})
    dashboard_shows("the shop's own page names", lambda: tile(browser, "homepage") == "1" and tile(browser, "other") == "2"
                    and "thank-you" in browser.find_element(By.ID, "tile-other-hint").text)

    ARTIFACTS.mkdir(exist_ok=True)
    browser.switch_to.window(dashboard)
    time.sleep(0.3)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
