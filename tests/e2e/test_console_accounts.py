"""Operator accounts and sessions for the console, end to end against one hub: an admin added
with the CLI signs in through the form, resolves a gap and signs out, after which the old
cookie is refused; no token is in any URL and the session is out of reach of scripts; a forged
cross-site POST is refused (CSRF token and Origin); a sign-in link works once; a seller cannot
open the audit trail nor resolve; ten wrong passwords lock the account out for that client.
The order matters: the lockout is last (it could shut out the other tests' sign-ins)."""
import http.client
import json
import os
import pathlib
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from console_login import (browser_cookie, browser_sign_in, http_sign_in, link_code, on_path, post_login,  # noqa: E402
                           session_cookie, sign_in_link)
from hubproc import Hub  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KEY = {"Authorization": "Bearer e2e-key"}
PASSWORD = "correct horse battery"


def add_user(data_dir, name, role, password):
    """`livehub user add NAME --role ROLE --password-stdin --data-dir DIR`."""
    result = subprocess.run([os.environ["LIVEHUB_BIN"], "user", "add", name, "--role", role, "--password-stdin", "--data-dir", data_dir],
                            input=password + "\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"user add {name} failed ({result.returncode}): {result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("accounts"))
    add_user(data, "alice", "admin", PASSWORD)  # before the hub starts: it finds her in its records
    hub = Hub(data, "--web-root", str(ROOT / "web"), "--gap-grace", "1s", "--broadcast-interval", "100ms")
    yield hub
    hub.stop()


def make_gap(hub, reference):
    """A payment the provider confirmed and nobody credited: open as a gap after the 1 s grace."""
    for stage in ("initialized", "completed"):
        body = {"reference": reference, "provider": "paystack", "stage": stage, "amount": "15", "currency": "NGN",
                "user_id": "u-ann", "email": "ann@shop.test"}
        status, answer, _ = hub.request("POST", "/api/payments/events", body, KEY)
        assert status == 200, answer
    deadline = time.time() + 10
    while time.time() < deadline:
        if reference in [g["reference"] for g in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{reference} never became a gap")


def gap_open(hub, reference):
    return reference in [g["reference"] for g in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]]


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the page never showed {what}; at {driver.current_url} it shows: "
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:2000]}") from None


def text(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def signed_out(browser, hub):
    """No cookie for the hub in the browser (a page of the hub's is open to scope the delete)."""
    browser.get(hub.base + "/favicon.svg")
    browser.delete_all_cookies()


def session_status(hub, cookie):
    return hub.request("GET", "/api/console/session", headers={"Cookie": cookie})


def policy_refusals(browser):
    """Script errors and Content-Security-Policy refusals in the browser's console (a 401 or
    429 that a page expects is logged too, as a failed resource: not counted)."""
    try:
        entries = browser.get_log("browser")
    except Exception:  # a driver without the log: nothing to read
        return []
    return [e["message"] for e in entries
            if "Content Security Policy" in e["message"] or "Uncaught" in e["message"] or "TypeError" in e["message"]]


def phone_screenshot(browser, name, ready):
    """The page at 390 px (no sideways scroll there), saved for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(390, 844)
    try:
        wait_for(browser, f"{name} at 390 px", ready)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways at 390 px: {width} px wide"
        assert browser.save_screenshot(str(ARTIFACTS / f"{name}-phone.png"))
    finally:
        browser.set_window_size(1400, 1000)


def test_an_admin_signs_in_with_the_form_resolves_a_gap_signs_out_and_the_old_cookie_is_refused(hub, browser):
    make_gap(hub, "pay-a")
    signed_out(browser, hub)
    browser.get(hub.base + "/payments?status=completed")
    wait_for(browser, "the sign-in page", lambda: on_path(browser) == "/login" and browser.find_element(By.ID, "name").is_displayed())
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert query == {"next": ["/payments?status=completed"]}, browser.current_url
    phone_screenshot(browser, "login", lambda: browser.find_element(By.ID, "sign-in").is_displayed())

    # A name that is no account: told so, still on /login.
    browser.find_element(By.ID, "name").send_keys("mallory")
    browser.find_element(By.ID, "password").send_keys("guess")
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, "the refusal", lambda: "do not match" in text(browser, "#login-error"))
    assert on_path(browser) == "/login"

    browser.find_element(By.ID, "name").clear()
    browser.find_element(By.ID, "name").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, "/payments after signing in", lambda: on_path(browser) == "/payments")
    assert urllib.parse.urlsplit(browser.current_url).query == "status=completed", "back where the page was asked for"
    wait_for(browser, "who is signed in", lambda: "alice" in text(browser, "#signed-in-as") and "admin" in text(browser, "#signed-in-as"))
    assert "Audit" in text(browser, "nav"), "an admin has the audit trail in the navigation"

    wait_for(browser, "the gap", lambda: browser.find_elements(By.CSS_SELECTOR, ".problem[data-reference=pay-a] button"))
    row = browser.find_element(By.CSS_SELECTOR, ".problem[data-reference=pay-a]")
    row.find_element(By.TAG_NAME, "input").send_keys("credited by hand, alice")
    row.find_element(By.TAG_NAME, "button").click()
    wait_for(browser, "the gap resolved", lambda: not browser.find_elements(By.CSS_SELECTOR, ".problem[data-reference=pay-a]"))
    assert not gap_open(hub, "pay-a")
    payment = hub.request("GET", "/api/payments?reference=pay-a", headers=KEY)[1][0]
    assert payment["resolutions"][-1]["note"] == "credited by hand, alice"

    # The audit trail names her sign-in and the resolution, newest first.
    browser.get(hub.base + "/audit")
    wait_for(browser, "the audit trail", lambda: "resolve" in text(browser, "#audit tbody") and "sign in" in text(browser, "#audit tbody"))
    actions = [r.get_attribute("data-action") for r in browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr[data-action]")]
    assert actions.index("resolve") < actions.index("sign_in"), actions
    resolve = browser.find_element(By.CSS_SELECTOR, "#audit tbody tr[data-action=resolve]").text
    assert "alice" in resolve and "pay-a" in resolve, resolve
    ids = [int(r.get_attribute("data-id")) for r in browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr[data-id]")]
    assert ids == sorted(ids, reverse=True), "newest first"
    phone_screenshot(browser, "audit", lambda: "resolve" in text(browser, "#audit tbody"))

    cookie = browser_cookie(browser)
    assert cookie and session_status(hub, cookie)[0] == 200
    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, "the sign-in page after signing out", lambda: on_path(browser) == "/login")
    status, body, _ = session_status(hub, cookie)
    assert status == 401 and body["error"]["code"] == "not_signed_in", "the old cookie no longer signs anyone in"
    assert hub.request("GET", "/api/payments/gaps", headers={"Cookie": cookie})[0] == 401
    browser.get(hub.base + "/payments")
    wait_for(browser, "the sign-in page again", lambda: on_path(browser) == "/login")
    assert not policy_refusals(browser), policy_refusals(browser)


WEBSOCKET_SPY = """
  window.__sockets = [];
  const Real = window.WebSocket;
  window.WebSocket = function (url, protocols) { window.__sockets.push(String(url)); return new Real(url, protocols); };
  window.WebSocket.prototype = Real.prototype;
"""


def test_no_token_in_any_url_and_the_session_cookie_out_of_reach_of_scripts(hub, browser):
    signed_out(browser, hub)
    spy = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WEBSOCKET_SPY})
    try:
        browser_sign_in(browser, hub, "ada", "admin")
        assert on_path(browser) == "/"
        wait_for(browser, "the live badge", lambda: text(browser, "#status") == "live")
        sockets = browser.execute_script("return window.__sockets")
        assert sockets and set(sockets) == {hub.ws + "/ws/seller"}, sockets
        urls = [browser.current_url] + browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
        for url in urls:
            assert "token" not in url.lower() and "code=" not in url, url
        assert "#" not in browser.current_url, "the sign-in code left the address bar"
        assert "livehub_session" not in browser.execute_script("return document.cookie"), "the session cookie is HttpOnly"
        assert browser.execute_script("return sessionStorage.length + localStorage.length") == 0, "nothing kept in the browser's storage"
        cookie = [c for c in browser.get_cookies() if c["name"] == "livehub_session"]
        assert cookie and cookie[0]["httpOnly"] is True and cookie[0].get("sameSite") == "Strict", cookie
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": spy["identifier"]})
    with urllib.request.urlopen(hub.base + "/console.js", timeout=5) as answer:
        source = answer.read().decode()
    assert "token=" not in source and "Authorization" not in source and "sessionStorage" not in source


def test_a_forged_cross_site_post_is_refused(hub):
    cookie, csrf = http_sign_in(hub, "alice", PASSWORD)
    make_gap(hub, "pay-c1")
    make_gap(hub, "pay-c2")
    resolve = lambda reference, headers: hub.request("POST", f"/api/payments/{reference}/resolve", {"note": "csrf test"},
                                                     {"Cookie": cookie, **headers})[0]
    assert resolve("pay-c1", {}) == 403, "no X-CSRF-Token"
    assert resolve("pay-c1", {"X-CSRF-Token": "forged-" + csrf}) == 403, "a wrong X-CSRF-Token"
    assert resolve("pay-c1", {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}) == 403, "the right token from another site"
    assert gap_open(hub, "pay-c1"), "the refused calls changed nothing"
    assert resolve("pay-c1", {"X-CSRF-Token": csrf}) == 200, "the right token, no Origin"
    assert resolve("pay-c2", {"X-CSRF-Token": csrf, "Origin": hub.base}) == 200, "the right token from the hub's own origin"
    assert not gap_open(hub, "pay-c1") and not gap_open(hub, "pay-c2")

    logout = lambda headers: hub.request("POST", "/api/console/logout", None, {"Cookie": cookie, **headers})
    assert logout({})[0] == 403
    assert logout({"X-CSRF-Token": csrf, "Origin": "https://evil.example"})[0] == 403
    assert session_status(hub, cookie)[0] == 200, "a forged sign-out signs nobody out"
    status, body, _ = logout({"X-CSRF-Token": csrf, "Origin": hub.base})
    assert status == 200 and body == {"ok": True}
    assert session_status(hub, cookie)[0] == 401


def test_a_sign_in_link_works_once(hub):
    link = sign_in_link(hub, "olga", "support")
    assert link.get("expires_at"), link
    code = link_code(link)
    status, body, headers = post_login(hub, {"code": code})
    assert status == 200 and body["user"]["name"] == "olga" and body["user"]["role"] == "support", body
    cookie = session_cookie(headers.get_all("Set-Cookie"))
    assert cookie and session_status(hub, cookie)[1]["user"]["name"] == "olga"
    status, body, headers = post_login(hub, {"code": code})
    assert status == 401 and body["error"]["code"] == "invalid_code", body
    assert not session_cookie(headers.get_all("Set-Cookie")), "a used code sets no session"
    status, body, _ = post_login(hub, {"code": "not-a-code-" + code[:4]})
    assert status == 401 and body["error"]["code"] == "invalid_code"


def test_a_seller_cannot_open_the_audit_trail_nor_resolve(hub, browser):
    make_gap(hub, "pay-f")
    signed_out(browser, hub)
    browser.get(hub.base + "/login")  # the link opened in a tab already on /login: only its fragment changes
    wait_for(browser, "the sign-in page", lambda: browser.find_element(By.ID, "name").is_displayed())
    browser_sign_in(browser, hub, "sam", "seller")
    browser.get(hub.base + "/audit")
    wait_for(browser, "the notice", lambda: "needs the admin role" in text(browser, "#needs-role"))
    assert "sam (seller)" in text(browser, "#needs-role")
    assert not browser.find_elements(By.ID, "audit"), "no trail is shown"
    assert "Audit" not in text(browser, "nav") and "Support" not in text(browser, "nav")
    cookie = browser_cookie(browser)
    status, session, _ = session_status(hub, cookie)
    assert status == 200 and session["user"]["role"] == "seller"
    assert hub.request("GET", "/api/audit?limit=10", headers={"Cookie": cookie})[0] == 403

    browser.get(hub.base + "/payments")
    wait_for(browser, "the gap, read-only", lambda: browser.find_elements(By.CSS_SELECTOR, ".problem[data-reference=pay-f]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#problems button"), "a seller has no Resolve button"
    assert "resolving needs the support or admin role" in text(browser, "#read-only")
    status = hub.request("POST", "/api/payments/pay-f/resolve", {"note": "seller try"},
                         {"Cookie": cookie, "X-CSRF-Token": session["csrf"]})[0]
    assert status == 403 and gap_open(hub, "pay-f"), "the hub refuses a seller's resolve too"


def post_login_from(hub, address, body):
    """POST /api/console/login from another loopback address: a client of its own."""
    port = urllib.parse.urlsplit(hub.base).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(address, 0))
    try:
        connection.request("POST", "/api/console/login", json.dumps(body), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        text = answer.read()
        return answer.status, (json.loads(text) if text else None), answer.headers
    finally:
        connection.close()


def test_ten_wrong_passwords_lock_the_account_out_for_that_client(hub):
    # From 127.77.0.1: no other test's attempt counts for this client, whatever the hub keys on.
    for attempt in range(10):
        status, body, _ = post_login_from(hub, "127.77.0.1", {"name": "alice", "password": f"wrong {attempt}"})
        assert status == 401 and body["error"]["code"] == "invalid_credentials", (attempt, status, body)
    status, body, headers = post_login_from(hub, "127.77.0.1", {"name": "alice", "password": "wrong again"})
    assert status == 429 and body["error"]["code"] == "too_many_attempts", (status, body)
    assert headers["Retry-After"] and int(headers["Retry-After"]) > 0, headers
    status, body, headers = post_login_from(hub, "127.77.0.1", {"name": "alice", "password": PASSWORD})
    assert status == 429 and int(headers["Retry-After"]) > 0, "the right password is refused too during the lockout"
    assert not session_cookie(headers.get_all("Set-Cookie"))


def test_guessing_sign_in_codes_is_throttled_like_passwords(hub):
    # Each failed code writes the audit log: from one address, 10 in 15 minutes, then 429.
    for attempt in range(10):
        status, body, _ = post_login_from(hub, "127.78.0.1", {"code": f"guess-{attempt}"})
        assert status == 401 and body["error"]["code"] == "invalid_code", (attempt, status, body)
    status, body, headers = post_login_from(hub, "127.78.0.1", {"code": "guess-again"})
    assert status == 429 and int(headers["Retry-After"]) > 0, (status, body)
