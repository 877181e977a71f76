"""The shop's day (issue 32), end to end in Debian's headless Chromium against the release hub.

Visitors walk the demo store (web/demo/) with the real tracker (web/tracker.js): one arrives from
another site with UTM tags, four add to cart, one pays, three leave at payment, one is a phone,
one is Googlebot. Meanwhile another window holds a page the test minimises for over a minute
(its `document.visibilityState` is "hidden" all that time, which the page's own log of
visibility changes proves): the hub credits that page only the seconds it was in view. An admin
defines a funnel of four steps and a goal with the /funnels page's forms before anyone arrives.
The day's figures (GET /api/analytics/day, /api/analytics/funnels/{id}) are checked exactly,
then on the dashboard and /funnels (whose screenshots at 1366 and 390 px are saved in
test-artifacts/), and again after the hub is restarted on the same data directory.

One hub for the module, with `--rollup-interval 1s`: the figures are polled until they settle."""
import base64
import json
import os
import pathlib
import tempfile
import time
import urllib.parse

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from console_login import browser_sign_in  # noqa: E402
from hubproc import Hub  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
KEY = {"Authorization": "Bearer e2e-key"}
HUB_ARGS = ("--rollup-interval", "1s", "--broadcast-interval", "100ms", "--web-root", str(ROOT / "web"))
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.0 Mobile/15E148 Safari/604.1")
HOSTILE = "<img src=x onerror=alert(1)>"
HIDDEN_FOR = 60  # seconds
AGENT = {}  # a desktop browser's user agent, put back after a phone's and a bot's

# Before any page script: the page's sockets (to know the tracker's beacons have left) and any
# Content-Security-Policy violation.
WATCH = """window.__sockets = []; window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
(function () {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native { constructor(u, p) { super(u, p); window.__sockets.push(this); } };
})();"""


@pytest.fixture(scope="module")
def day_hub():
    data = tempfile.mkdtemp(prefix="livehub-day-")
    hub = Hub(data, *HUB_ARGS)
    box = {"hub": hub}
    yield box
    box["hub"].stop()


# --- the API ------------------------------------------------------------------------------------

def get(hub, path):
    status, body, _ = hub.request("GET", path, headers=KEY)
    assert status == 200, f"GET {path}: {status} {body}"
    return body


def settled(read, check, what, seconds=30):
    """read() once check(read()) holds and two reads 1.2 s apart agree (the hub's rollups have
    caught up); an AssertionError showing the last answer otherwise."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        now = read()
        if check(now) and now == last:
            return now
        last = now
        time.sleep(1.2)
    raise AssertionError(f"{what} never settled; last answer: {json.dumps(last, indent=1)[:4000]}")


def by(rows, key, value="visitors"):
    return {r[key]: r[value] for r in rows}


# --- the browser --------------------------------------------------------------------------------

def watch(driver):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})


def wait(driver, what, check, seconds=15):
    try:
        WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"never: {what} (at {driver.current_url})") from None


def tracker_done(driver):
    """The store page has rendered and its tracker's socket is open with nothing left to send."""
    wait(driver, "the tracker's beacons sent", lambda: driver.execute_script(
        "return !!window.LiveHub && LiveHub.isTracking() && document.getElementById('content').children.length > 0"
        " && window.__sockets.length > 0 && window.__sockets.every((s) => s.readyState === 1 && s.bufferedAmount === 0)"))


def visit(driver, hub, path):
    driver.get(hub.base + path)
    tracker_done(driver)


def click(driver, css, then):
    driver.find_element(By.CSS_SELECTOR, css).click()
    wait(driver, "the page after " + css, lambda: then in driver.current_url)
    tracker_done(driver)


def new_visitor(driver, hub, path, referrer=None, agent=None):
    """A browser the hub has not seen: this origin's storage forgotten (the session id with it),
    the user agent set (or put back), and the first page opened, from `referrer` when given."""
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": hub.base, "storageTypes": "local_storage"})
    driver.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": agent or AGENT['desktop']})
    if referrer:
        # As a link on another site would (an https page's referrer is not sent to an http one).
        driver.execute_cdp_cmd("Page.navigate", {"url": hub.base + path, "referrer": referrer, "referrerPolicy": "unsafeUrl"})
        wait(driver, "the landing page", lambda: urllib.parse.urlsplit(driver.current_url).query == urllib.parse.urlsplit(path).query)
        tracker_done(driver)
        assert driver.execute_script("return document.referrer") == referrer
    else:
        visit(driver, hub, path)
    assert driver.execute_script("return navigator.userAgent") == (agent or AGENT['desktop'])
    return driver.execute_script("return LiveHub.sessionId()")


def to_payment(driver, hub, product):
    """From a product page: Add to cart (the add_to_cart event), the cart, the payment page."""
    visit(driver, hub, "/demo/?page=product&id=" + product)
    click(driver, "button.add", "page=checkout")
    click(driver, "#to-payment", "page=pay")


def rows_of(driver, css):
    """A list's rows on the dashboard: [what, figure, note…] as text."""
    return driver.execute_script("return [...document.querySelectorAll(arguments[0] + ' li')].filter((li) => li.querySelector('.what'))"
                                 ".map((li) => [li.querySelector('.what').textContent, ...[...li.querySelector('.count').childNodes].map((n) => n.textContent)])", css)


def screenshots(driver, name):
    """The page at 1366 and at 390 px wide, whole, in test-artifacts/; nothing scrolls sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1366, 390):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        assert driver.execute_script("return window.innerWidth") == width
        time.sleep(0.4)  # the charts redraw on resize
        driver.execute_script("window.dispatchEvent(new Event('resize'))")
        time.sleep(0.2)
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width} px: {scroll} px wide"
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        (ARTIFACTS / f"{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def define_with_forms(driver, hub):
    """As an admin on /funnels: the funnel category → product headphones → add_to_cart → checkout,
    and the goal "cart" (the add_to_cart event)."""
    browser_sign_in(driver, hub, "ada", "admin", key="e2e-key", next="/funnels")
    wait(driver, "the funnel form", lambda: driver.find_elements(By.ID, "funnel-form"))
    driver.find_element(By.ID, "funnel-id").send_keys("shop-path")
    driver.find_element(By.ID, "funnel-name").send_keys("Category to checkout")
    rows = driver.find_elements(By.CSS_SELECTOR, "#funnel-form ol.step-rows li")
    assert [r.find_element(By.CSS_SELECTOR, ".value").get_attribute("value") for r in rows] == ["category", "product", "add_to_cart", "checkout"]
    rows[1].find_element(By.CSS_SELECTOR, ".identifier").send_keys("headphones")
    driver.find_element(By.CSS_SELECTOR, "#funnel-form button[type=submit]").click()
    wait(driver, "the funnel saved", lambda: "Saved" in driver.find_element(By.CSS_SELECTOR, "#funnel-form .result").text)

    driver.find_element(By.ID, "goal-name").send_keys("cart")
    Select(driver.find_element(By.ID, "goal-kind")).select_by_value("event")
    driver.find_element(By.ID, "goal-target").send_keys("add_to_cart")
    driver.find_element(By.CSS_SELECTOR, "#goal-form button[type=submit]").click()
    wait(driver, "the goal saved", lambda: "Saved" in driver.find_element(By.CSS_SELECTOR, "#goal-form .result").text)


FUNNEL_STEPS = [{"page_type": "category"}, {"page_type": "product", "identifier": "headphones"}, {"event": "add_to_cart"}, {"page_type": "checkout"}]


def test_the_shops_day(day_hub, browser):
    hub = day_hub["hub"]
    # Headless Chromium says so in its user agent, and the hub takes headless browsers for bots:
    # the visitors here are a desktop Chrome's.
    AGENT['desktop'] = browser.execute_script("return navigator.userAgent").replace("HeadlessChrome", "Chrome")
    watch(browser)

    # --- an admin defines the funnel and a goal with the forms; another goal by the API -------
    define_with_forms(browser, hub)
    assert get(hub, "/api/analytics/funnels")["funnels"] == [{"id": "shop-path", "name": "Category to checkout", "steps": FUNNEL_STEPS}]
    status, body, _ = hub.request("PUT", "/api/analytics/goals/saw%20product", {"kind": "page_type", "target": "product"}, KEY)
    assert status in (200, 201, 204), body
    assert sorted((g["name"], g["kind"], g["target"]) for g in get(hub, "/api/analytics/goals")["goals"]) == [
        ("cart", "event", "add_to_cart"), ("saw product", "page_type", "product")]

    # --- a page hidden for a minute ------------------------------------------------------------
    # The first window opens the Black Friday offer, in view and focused for a few seconds,
    # and is then minimised: headless Chromium makes its page "hidden", as a phone's or a
    # desktop's browser does for a tab out of sight. Its own log says when it was what.
    hidden_window = browser.current_window_handle
    hidden_sid = new_visitor(browser, hub, "/demo/?page=offer&id=black-friday")
    browser.execute_script("window.__seen = [['start', Date.now()]];"
                           "document.addEventListener('visibilitychange', () => window.__seen.push([document.visibilityState, Date.now()]))")
    assert browser.execute_script("return [document.visibilityState, document.hasFocus()]") == ["visible", True]
    time.sleep(3)
    browser.minimize_window()
    hidden_at = time.monotonic()
    assert browser.execute_script("return document.visibilityState") == "hidden"

    # --- meanwhile, the other visitors in a second window ---------------------------------------
    browser.switch_to.new_window("window")
    watch(browser)
    sessions = {}
    # From a newsletter: another site's link with UTM tags; buys.
    sessions["newsletter"] = new_visitor(browser, hub, "/demo/?utm_source=newsletter&utm_medium=email&utm_campaign=xmas",
                                         referrer="http://www.news.example/article?id=7")
    visit(browser, hub, "/demo/?page=category&id=electronics")
    to_payment(browser, hub, "headphones")
    click(browser, "#pay-ok", "page=done")
    # Three leave at the payment page: two after the category page (one with the other product),
    # one straight from the homepage to the product.
    sessions["left-1"] = new_visitor(browser, hub, "/demo/?page=category&id=electronics")
    to_payment(browser, hub, "headphones")
    sessions["left-2"] = new_visitor(browser, hub, "/demo/?page=category&id=electronics")
    to_payment(browser, hub, "phone-charger")
    sessions["left-3"] = new_visitor(browser, hub, "/demo/")
    to_payment(browser, hub, "headphones")
    # A phone: a category, the headphones, gone; on the way it sends an event whose name and
    # property are markup (the console must show them as text).
    sessions["phone"] = new_visitor(browser, hub, "/demo/?page=category&id=fashion", agent=PHONE)
    visit(browser, hub, "/demo/?page=product&id=headphones")
    browser.execute_script("LiveHub.track(arguments[0], {note: '<b>bold</b>'})", HOSTILE)
    time.sleep(0.3)
    # Googlebot: the homepage and a category. No visitor.
    sessions["bot"] = new_visitor(browser, hub, "/demo/", agent=GOOGLEBOT)
    visit(browser, hub, "/demo/?page=category&id=electronics")
    browser.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": AGENT['desktop']})
    assert len(set(sessions.values()) | {hidden_sid}) == 7, sessions
    browser.close()  # its last page goes (pagehide)

    # --- the hidden page comes back, is seen for two seconds, and is hidden again ------------------
    time.sleep(max(0, HIDDEN_FOR + 1 - (time.monotonic() - hidden_at)))
    browser.switch_to.window(hidden_window)
    assert browser.execute_script("return document.visibilityState") == "hidden", "the minimised window's page is not hidden"
    browser.set_window_rect(width=1400, height=1000)  # restores it
    wait(browser, "the page in view again", lambda: browser.execute_script("return document.visibilityState") == "visible")
    time.sleep(2)
    browser.minimize_window()
    wait(browser, "the page hidden again", lambda: browser.execute_script("return document.visibilityState") == "hidden")
    seen = browser.execute_script("return window.__seen")
    assert [s for s, _ in seen] == ["start", "hidden", "visible", "hidden"], seen
    (_, start), (_, hid), (_, back), (_, hid_again) = seen
    assert back - hid >= HIDDEN_FOR * 1000, f"hidden for only {(back - hid) / 1000} s"
    in_view = (hid - start + hid_again - back) / 1000
    time.sleep(0.5)  # the beacon of the second hide
    # The visitor leaves: the session ends (on the offer page), so none is live at the restart.
    browser.execute_script("LiveHub.endSession()")
    wait(browser, "the session's end sent", lambda: browser.execute_script("return window.__sockets.every((s) => s.bufferedAmount === 0)"))
    browser.get("about:blank")
    browser.set_window_rect(width=1400, height=1000)

    # --- the day's figures ------------------------------------------------------------------------
    def day_ready(d):
        events = by(d["events"], "name", "count")
        offer = next((t for t in d["page_types"] if t["page_type"] == "offer"), None)
        return (d["visitors"] == 6 and d["paid"] == 1 and events.get("add_to_cart") == 4 and d["abandoned_checkout"]["payment"] == 3
                and offer is not None and offer["engaged_seconds"] > 0 and offer["exits"] == 1)
    day = settled(lambda: get(hub, "/api/analytics/day"), day_ready, "the day")
    assert day["date"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert day["visitors"] == 6, "Googlebot is no visitor"
    assert day["bots"] == 1
    assert day["sessions"] >= 6
    assert by(day["events"], "name", "count") == {"add_to_cart": 4, HOSTILE: 1}
    assert by(day["events"], "name", "sessions") == {"add_to_cart": 4, HOSTILE: 1}
    goals = {g["name"]: g for g in day["goals"]}
    assert (goals["cart"]["kind"], goals["cart"]["target"], goals["cart"]["conversions"]) == ("event", "add_to_cart", 4)
    assert goals["cart"]["rate"] == pytest.approx(4 / 6, abs=0.01)
    assert goals["saw product"]["conversions"] == 5
    assert day["abandoned_checkout"] == {"checkout": 0, "payment": 3, "payment_error": 0}
    assert day["paid"] == 1 and day["payment_errors"] == 0
    assert by(day["sources"], "source") == {"news.example": 1, "(direct)": 5}
    assert by(day["utm_sources"], "value") == {"newsletter": 1}
    assert by(day["utm_mediums"], "value") == {"email": 1}
    assert by(day["utm_campaigns"], "value") == {"xmas": 1}
    devices = by(day["devices"], "device")
    assert (devices.get("desktop"), devices.get("mobile"), devices.get("tablet", 0)) == (5, 1, 0), devices
    offer = next(t for t in day["page_types"] if t["page_type"] == "offer")
    # In view about five seconds, hidden over a minute: only the seconds in view count.
    assert in_view - 1.5 <= offer["engaged_seconds"] <= in_view + 2, (offer, in_view)
    assert offer["visitors"] == 1 and offer["pageviews"] == 1
    # Each session's last page is its exit (Googlebot's is not counted); moving on is none.
    exits = {t["page_type"]: t["exits"] for t in day["page_types"] if t["exits"]}
    assert exits == {"offer": 1, "payment": 3, "payment_success": 1, "product": 1}, day["page_types"]

    funnel = settled(lambda: get(hub, "/api/analytics/funnels/shop-path"), lambda f: f["steps"][0]["sessions"] == 4, "the funnel")
    assert [s["sessions"] for s in funnel["steps"]] == [4, 3, 2, 2], funnel
    assert [s["drop_off"] for s in funnel["steps"]] == [0, 1, 1, 0], funnel
    assert [s["conversion"] for s in funnel["steps"]] == pytest.approx([1, 0.75, 0.5, 0.5])
    assert [{k: v for k, v in s.items() if k in ("page_type", "identifier", "event")} for s in funnel["steps"]] == FUNNEL_STEPS

    series = get(hub, "/api/analytics/series?grain=hour&metric=pageviews,visitors&from=" + day["from"] + "&to=" + day["to"])
    assert sum(p["pageviews"] for p in series["points"]) == day["pageviews"]

    # --- the console shows them, as text ------------------------------------------------------
    browser.get(hub.base + "/")
    text = lambda css: browser.find_element(By.CSS_SELECTOR, css).text
    wait(browser, "today's visitors on the dashboard", lambda: text("#day-visitors") == "6")
    wait(browser, "the events", lambda: HOSTILE in text("#day-events") and "add_to_cart" in text("#day-events"))
    assert browser.execute_script("return document.querySelectorAll('#today img, #today b, #today script').length") == 0
    assert "news.example" in text("#day-sources") and "campaign: xmas" in text("#day-utm")
    assert rows_of(browser, "#day-abandoned") == [["checkout", "0"], ["payment", "3"], ["payment error", "0"]]
    assert ["cart (event add_to_cart)", "4", "67 %"] in rows_of(browser, "#day-goals")
    assert text("#day-page-types tr[data-page-type=offer] td.engaged").endswith(" s")
    screenshots(browser, "day-dashboard")
    assert browser.execute_script("return window.__csp") == []
    browser.get(hub.base + "/funnels")
    wait(browser, "the funnel's figures", lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".funnel-figures td.sessions")] == ["4", "3", "2", "2"])
    wait(browser, "the goals' conversions", lambda: "cart" in text("#goal-list") and "4" in text("#goal-list [data-goal=cart]"))
    screenshots(browser, "day-funnels")
    assert browser.execute_script("return window.__csp") == []

    # --- a restart on the same data directory keeps the day -------------------------------------
    funnel_before = get(hub, "/api/analytics/funnels/shop-path")
    day_before = get(hub, "/api/analytics/day?date=" + day["date"])
    assert hub.metrics()["total_active"] == 0, "a session is still live: the restart could end it and add to the day"
    port, data = hub.port, hub.data_dir
    hub.stop()
    hub = day_hub["hub"] = Hub(data, *HUB_ARGS, port=port)
    after = settled(lambda: get(hub, "/api/analytics/day?date=" + day["date"]), lambda d: d == day_before, "the day after a restart", seconds=20)
    assert after == day_before
    assert get(hub, "/api/analytics/funnels/shop-path") == funnel_before

    # --- an admin deletes a goal from /funnels ---------------------------------------------------
    browser.get(hub.base + "/funnels")
    wait(browser, "the goals", lambda: browser.find_elements(By.CSS_SELECTOR, "#goal-list [data-goal='saw product'] button.delete"))
    browser.find_element(By.CSS_SELECTOR, "#goal-list [data-goal='saw product'] button.delete").click()
    browser.switch_to.alert.accept()
    wait(browser, "the goal gone", lambda: not browser.find_elements(By.CSS_SELECTOR, "#goal-list [data-goal='saw product']"))
    assert [g["name"] for g in get(hub, "/api/analytics/goals")["goals"]] == ["cart"]


def test_a_session_started_over_the_track_socket_keeps_its_referrer_and_tags(day_hub):
    """/ws/track: the first message's session-start names where the session came from before the
    day counts it (the tab opened after the beacon); a session-end as a socket's first message
    leaves no session behind."""
    import asyncio
    websockets = pytest.importorskip("websockets")
    hub = day_hub["hub"]
    live_before = hub.metrics()["total_active"]

    async def run():
        async with websockets.connect(hub.ws + "/ws/track?sid=ws-origin", user_agent_header=AGENT.get("desktop") or "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0") as tab:
            await tab.send(json.dumps({"type": "session-start", "session_id": "ws-origin", "referrer": "https://www.Example.org/post",
                                       "utm_source": "WS-Test", "utm_campaign": "sockets"}))
            assert json.loads(await tab.recv())["type"] == "session"
            await tab.send(json.dumps({"type": "page-visit", "session_id": "ws-origin", "page_type": "homepage"}))
            await asyncio.sleep(0.3)
        async with websockets.connect(hub.ws + "/ws/track?sid=ghost") as tab:
            await tab.send(json.dumps({"type": "session-end", "session_id": "ghost"}))
            await asyncio.sleep(0.3)
    asyncio.run(run())

    day = settled(lambda: get(hub, "/api/analytics/day"), lambda d: "example.org" in by(d["sources"], "source"), "the socket's session")
    assert by(day["sources"], "source")["example.org"] == 1
    assert by(day["utm_sources"], "value").get("ws-test") == 1 and by(day["utm_campaigns"], "value").get("sockets") == 1
    # The first socket's session ends 3 s after the socket closed (a navigation's next page may come).
    settled(lambda: hub.metrics()["total_active"], lambda live: live == live_before, "a socket that only ended a session left one live")
