"""GET /api/support/timeline (issue 28, item 8): one person's whole story in one answer.
Two people, each with a session (page visits, a payment error), activity (one event under
the email alone), a payment initialized by the shop and confirmed by a signed Paystack
webhook that became a gap and was resolved by hand, ledger entries and the alerts they
raised. The four keys (email in any case, phone as written, user id, our reference or the
provider's id) each find the same story, and the other person's never appears in it; one
key exactly, support or admin, rows per section bounded (and said so). Then /support in
Chromium: one /api/support/timeline request per search (the browser's resource timings),
nothing else, and hostile text shown as text."""
import hashlib
import hmac
import json
import pathlib
import time
import urllib.parse
import urllib.request

import pytest

from hubproc import Hub

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY = {"Authorization": "Bearer e2e-key"}
PAYSTACK = "sk_test_timeline"
HOSTILE = "<img src=x onerror=window.__pwned=1>"
PEOPLE = {
    "tia": {"user": "u-tia", "email": "tia@shop.test", "phone": "+254700000123", "reference": "tia-pay", "provider_id": 7700123},
    "bo": {"user": "u-bo", "email": "bo@shop.test", "phone": "+254700000456", "reference": "bo-pay", "provider_id": 7700456},
}


def wait_until(what, check, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("the hub never got to " + what)


def paystack(hub, reference, kobo, transaction_id, email):
    body = json.dumps({"event": "charge.success", "data": {"id": transaction_id, "reference": reference, "amount": kobo, "currency": "NGN",
                                                           "status": "success", "customer": {"email": email}}}).encode()
    signature = hmac.new(PAYSTACK.encode(), body, hashlib.sha512).hexdigest()
    status, answer, _ = hub.request("POST", "/api/webhooks/paystack", raw=body,
                                    headers={"Content-Type": "application/json", "x-paystack-signature": signature})
    assert status == 200, answer


def story_of(hub, name, p):
    """One person's records and presence, made through the API as a shop and a storefront would."""
    sid = name + "-1"
    # The session names the email in another case: presence and records compare without case.
    hub.beacon("session/start", {"session_id": sid, "user_id": p["user"], "email": p["email"].upper(), "phone": p["phone"]})
    hub.beacon("track/page-visit", {"session_id": sid, "page_type": "category", "page_identifier": name + "-shoes"})
    hub.beacon("track/checkout-start", {"session_id": sid, "checkout_items": [{"name": "Shoes"}], "total_amount": "2500.00"})
    hub.beacon("track/payment-error", {"session_id": sid, "error_code": name + "_declined", "error_message": "declined " + HOSTILE})
    for body in ({"email": p["email"], "action": "registration_started", "status": "success"},
                 {"user_id": p["user"], "email": p["email"], "action": "registration_completed", "status": "success"},
                 {"user_id": p["user"], "action": name + "_login", "status": "failed", "error_message": HOSTILE}):
        status, answer, _ = hub.request("POST", "/api/activity", body, KEY)
        assert status == 201, answer
    status, answer, _ = hub.request("POST", "/api/payments/events", {
        "reference": p["reference"], "provider": "paystack", "stage": "initialized", "amount": "2500.00", "currency": "NGN",
        "user_id": p["user"], "email": p["email"], "phone": p["phone"]}, KEY)
    assert status == 200, answer
    paystack(hub, p["reference"], 250000, p["provider_id"], p["email"])
    for i, (kind, amount) in enumerate([("credit", "100.00"), ("debit", "60.00")]):  # 60.00 is a large deduction: an alert
        status, answer, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": p["user"], "amount": amount, "type": kind,
                                                                             "description": name + " " + kind, "reference": f"{name}-led-{i}"}, KEY)
        assert status == 201, answer


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("timeline")), "--web-root", str(ROOT / "web"), "--currency", "NGN", "--gap-grace", "1s",
              "--paystack-secret", PAYSTACK, "--broadcast-interval", "100ms")
    for name, p in PEOPLE.items():
        story_of(hub, name, p)
    # Confirmed, never credited: gaps a second on (an alert each), then resolved by hand.
    wait_until("both gaps", lambda: {g["reference"] for g in hub.request("GET", "/api/payments/gaps", headers=KEY)[1]} == {"tia-pay", "bo-pay"})
    for p in PEOPLE.values():
        status, answer, _ = hub.request("POST", f"/api/payments/{p['reference']}/resolve", {"note": "receipt checked"}, KEY)
        assert status == 200, answer
    yield hub
    hub.stop()


def timeline(hub, query, headers=KEY):
    status, answer, head = hub.request("GET", "/api/support/timeline?" + query, headers=headers)
    assert status == 200, answer
    return answer


def ids(answer):
    """The story as comparable sets: each section's identities."""
    return {
        "sessions": {s["session_id"] for s in answer["sessions"]},
        "payment_errors": {e["error_code"] for e in answer["payment_errors"]},
        "activity": {a["id"] for a in answer["activity"]},
        "payments": {p["reference"] for p in answer["payments"]},
        "payment_events": {(e["reference"], e["stage"]) for e in answer["payment_events"]},
        "webhook_deliveries": {d["id"] for d in answer["webhook_deliveries"]},
        "alerts": {a["id"] for a in answer["alerts"]},
        "transactions": {t["reference"] for t in answer["transactions"]},
        "balances": {(b["user_id"], b["balance"]) for b in answer["balances"]},
    }


def test_the_four_keys_each_find_the_same_whole_story(hub):
    tia = PEOPLE["tia"]
    by_user = timeline(hub, "user_id=u-tia")
    story = ids(by_user)
    assert story["sessions"] == {"tia-1"}
    assert story["payment_errors"] == {"tia_declined"}
    assert {a["action"] for a in by_user["activity"]} == {"registration_started", "registration_completed", "tia_login"}, \
        "the event under the email alone is the user's too"
    assert story["payments"] == {"tia-pay"}
    assert {stage for _, stage in story["payment_events"]} >= {"initialized", "webhook_received"}
    payment = by_user["payments"][0]
    assert payment["provider_reference"] == "7700123" and payment["status"] == "resolved"
    assert [r["note"] for r in payment["resolutions"]] == ["receipt checked"], "the trail"
    assert payment["stages"]["initialized"] and payment["stages"]["webhook_received"] and payment["became_gap_at"]
    assert len(story["webhook_deliveries"]) == 1 and by_user["webhook_deliveries"][0]["signature_valid"] is True
    assert "payload" not in by_user["webhook_deliveries"][0], "the log has the payloads; the story does not carry them"
    assert {a["kind"] for a in by_user["alerts"]} == {"payment_gap", "large_deduction"}
    assert story["transactions"] == {"tia-led-0", "tia-led-1"}
    assert [t["balance_after"] for t in by_user["transactions"]] == [40.0, 100.0], "newest first"
    assert story["balances"] == {("u-tia", 40.0)}
    assert by_user["person"] == {"emails": [tia["email"]], "phones": [tia["phone"]], "user_ids": ["u-tia"], "references": ["tia-pay"]}, \
        "the keys it found (the session's upper-case email is a beacon's claim: it widens nothing)"
    assert by_user["truncated"] == {k: False for k in by_user["truncated"]} and by_user["unanswered_nodes"] == []
    # Newest first in every section.
    for section, at in (("activity", "created_at"), ("alerts", "created_at"), ("transactions", "created_at"), ("payment_events", "received_at")):
        times = [row[at] for row in by_user[section]]
        assert times == sorted(times, reverse=True), section

    for query in ("email=" + urllib.parse.quote("TIA@Shop.Test"), "phone=" + urllib.parse.quote("+254 700 000 123"),
                  "reference=tia-pay", "reference=7700123"):
        found = timeline(hub, query)
        assert ids(found) == story, query
        assert set(found["person"]["user_ids"]) == {"u-tia"} and set(found["person"]["references"]) == {"tia-pay"}, (query, found["person"])


def test_another_persons_data_never_appears(hub):
    for query in ("user_id=u-tia", "email=tia@shop.test", "phone=%2B254700000123", "reference=tia-pay", "reference=7700123"):
        text = json.dumps(timeline(hub, query))
        for word in ("u-bo", "bo@shop.test", "BO@SHOP.TEST", "254700000456", "bo-pay", "7700456", "bo-1", "bo_declined", "bo-led", "bo_login"):
            assert word not in text, f"{word} in the story asked by {query}"
    bo = timeline(hub, "user_id=u-bo")
    assert ids(bo)["sessions"] == {"bo-1"} and ids(bo)["payments"] == {"bo-pay"} and "u-tia" not in json.dumps(bo)


def test_nobody_found_is_an_empty_story(hub):
    nobody = timeline(hub, "reference=no-such-thing")
    assert all(nobody[s] == [] for s in ("sessions", "payment_errors", "activity", "payments", "payment_events", "webhook_deliveries",
                                         "alerts", "transactions", "balances"))
    assert nobody["person"] == {"emails": [], "phones": [], "user_ids": [], "references": []}
    assert timeline(hub, "user_id=u-nobody")["balances"] == [], "a user id nothing names has no balance to show"
    # A ledger entry's reference leads to its user.
    assert ids(timeline(hub, "reference=tia-led-1"))["payments"] == {"tia-pay"}


def test_each_section_is_bounded_and_says_so(hub):
    one = timeline(hub, "user_id=u-tia&limit=1")
    assert one["limit"] == 1
    for section in ("activity", "payment_events", "alerts", "transactions"):
        assert len(one[section]) == 1 and one["truncated"][section] is True, section
    assert one["truncated"]["payments"] is False and one["truncated"]["sessions"] is False
    assert one["transactions"][0]["reference"] == "tia-led-1", "the newest"


@pytest.mark.parametrize("query, words", [
    ("", "exactly one of email, phone, user_id or reference"),
    ("email=&user_id=", "exactly one of email, phone, user_id or reference"),
    ("email=tia@shop.test&user_id=u-tia", "exactly one of email, phone, user_id or reference"),
    ("user_id=u-tia&reference=tia-pay", "exactly one of email, phone, user_id or reference"),
    ("session_id=tia-1", "exactly one of email, phone, user_id or reference"),
    ("phone=abc", "phone has no digits"),
    ("user_id=" + "x" * 300, "user_id is longer than 256 bytes"),
    ("user_id=u-tia&limit=0", "limit must be an integer from 1 to 500"),
])
def test_one_key_exactly(hub, query, words):
    status, answer, _ = hub.request("GET", "/api/support/timeline?" + query, headers=KEY)
    assert status == 400 and answer["error"]["code"] == "invalid_query" and words in answer["error"]["message"], answer


def test_support_and_admin_read_it_a_seller_may_not(hub):
    for scope in ("support", "admin"):
        assert hub.request("GET", "/api/support/timeline?user_id=u-tia", headers={"Authorization": "Bearer " + hub.token(scope)})[0] == 200
    status, answer, _ = hub.request("GET", "/api/support/timeline?user_id=u-tia", headers={"Authorization": "Bearer " + hub.token("seller")})
    assert status == 403, answer
    assert hub.request("GET", "/api/support/timeline?user_id=u-tia")[0] == 401
    assert hub.request("GET", "/api/support/timeline?user_id=u-tia", headers={"Authorization": "Bearer " + hub.token("balance", "u-tia")})[0] == 403


def test_in_a_cluster_the_story_holds_the_persons_sessions_on_every_node():
    """Sessions live on the node the balancer hashed them to: the node asked puts the question
    to the others (GET /api/sessions's lookup), as for /api/sessions."""
    import shutil
    if not shutil.which("psql") or not (shutil.which("nginx") or pathlib.Path("/usr/sbin/nginx").exists()):
        pytest.skip("PostgreSQL and nginx are not installed")
    from test_cluster import Cluster
    cluster = Cluster()

    def ask(port, method, path, body=None):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers={**KEY, "Content-Type": "application/json"},
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    try:
        # One person: a session on each node under her email alone, a payment under her user id and email.
        for k, port in enumerate(cluster.node_ports):
            ask(port, "POST", f"/api/metrics/session/start?sid=clu-{k}", {"session_id": f"clu-{k}", "email": "Clu@shop.test"})
            time.sleep(0.01)  # distinct start times: newest first is clu-2, clu-1, clu-0
        ask(cluster.node_ports[0], "POST", "/api/payments/events", {"reference": "clu-pay", "provider": "paystack", "stage": "initialized",
                                                                   "amount": "25.00", "user_id": "u-clu", "email": "clu@shop.test"})
        for port in cluster.node_ports:
            story = ask(port, "GET", "/api/support/timeline?user_id=u-clu")
            assert [(s["session_id"], s["node"]) for s in story["sessions"]] == [("clu-2", "node-3"), ("clu-1", "node-2"), ("clu-0", "node-1")], story
            assert [p["reference"] for p in story["payments"]] == ["clu-pay"] and story["unanswered_nodes"] == []
    finally:
        cluster.destroy()


# --- /support in Chromium --------------------------------------------------------------------

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from console_login import browser_sign_in  # noqa: E402

WATCH = """window.__csp = []; window.__errors = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));"""


@pytest.fixture(scope="module")
def page(browser):
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the page never showed {what}; it shows: {driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def text(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def api_requests(driver):
    """The hub API paths (with their queries) this document fetched, in order; the console's
    own session check aside."""
    names = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    paths = [urllib.parse.urlsplit(n) for n in names]
    return [p.path + ("?" + p.query if p.query else "") for p in paths if p.path.startswith("/api/") and p.path != "/api/console/session"]


def test_support_asks_once_per_search_and_shows_the_whole_story(hub, page):
    browser_sign_in(page, hub, "sue", "support", next="/support?q=tia@shop.test")
    wait_for(page, "the story", lambda: "balance after 40.00" in text(page, "#timeline"))
    story = text(page, "#timeline")
    for expected in ("Session tia-1 started", "category tia-shoes", "tia_declined", "tia-pay initialized", "tia-pay webhook_received",
                     "paystack id 7700123", "tia-pay became a gap", "tia-pay resolved by api-key: receipt checked",
                     "paystack delivery processed", "registration_started success", "tia_login failed", "Large deduction",
                     "Payment not credited", HOSTILE):
        assert expected in story, f"{expected!r} is not in the story:\n{story}"
    for word in ("u-bo", "bo@shop.test", "bo-pay", "bo-1", "bo_declined", "bo-led", "bo_login"):
        assert word not in story.lower(), f"{word} in tia's story"
    assert text(page, "#balance [data-user=u-tia]").endswith("40.00 credits")
    assert "tia-pay" in text(page, "#support-payments")
    assert page.execute_script("return typeof window.__pwned") == "undefined", "hostile text ran"
    assert page.execute_script("return window.__csp") == [] and page.execute_script("return window.__errors") == []
    assert api_requests(page) == ["/api/support/timeline?email=tia%40shop.test"], "one request for the whole story"

    # A search typed in the box: one more request, by the kind the text looks like.
    page.execute_script("performance.clearResourceTimings()")
    box = page.find_element(By.ID, "q")
    box.clear()
    box.send_keys("7700123")
    assert page.find_element(By.ID, "by").get_attribute("value") == "reference", "a provider's id is looked up as a reference"
    page.find_element(By.CSS_SELECTOR, "form.toolbar button[type=submit]").click()
    wait_for(page, "the story by the provider's id", lambda: "tia_declined" in text(page, "#timeline") and "?reference=7700123" in page.current_url)
    assert api_requests(page) == ["/api/support/timeline?reference=7700123"]

    # A user id looks like a reference: nothing under that kind, and one click asks again as a user id.
    page.execute_script("performance.clearResourceTimings()")
    box.clear()
    box.send_keys("u-tia")
    page.find_element(By.CSS_SELECTOR, "form.toolbar button[type=submit]").click()
    wait_for(page, "the offer to search as a user id", lambda: page.find_elements(By.CSS_SELECTOR, "#nothing button[data-kind=user_id]"))
    assert "Nothing found for u-tia as a reference" in text(page, "#timeline")
    page.find_element(By.CSS_SELECTOR, "#nothing button[data-kind=user_id]").click()
    wait_for(page, "the story by user id", lambda: "balance after 40.00" in text(page, "#timeline"))
    assert api_requests(page) == ["/api/support/timeline?reference=u-tia", "/api/support/timeline?user_id=u-tia"]
    assert page.execute_script("return typeof window.__pwned") == "undefined"


def test_a_link_that_names_its_kind_is_searched_by_it(hub, page):
    """/wallet links a user's story as /support?user_id=, /payments a payment's as ?reference=."""
    browser_sign_in(page, hub, "sue", "support", next="/support?user_id=u-bo")
    wait_for(page, "bo's story", lambda: "bo-pay" in text(page, "#timeline"))
    assert page.find_element(By.ID, "by").get_attribute("value") == "user_id"
    for word in ("u-tia", "tia@shop.test", "tia-pay", "tia-1", "tia_declined", "tia-led", "tia_login"):
        assert word not in text(page, "#timeline").lower(), f"{word} in bo's story"
    assert api_requests(page) == ["/api/support/timeline?user_id=u-bo"]
