"""The page policy, in a real browser (Debian's headless Chromium) against a real hub: what the
query string of the demo store holds is shown as text and never runs; every page and file the
hub serves carries the security headers (a Content-Security-Policy without 'unsafe-inline' or
'unsafe-eval' on each page, nosniff and no-referrer on every answer); the browser enforces that
policy and says so; and no secret is within reach of a page's script. One hub and one browser
for the module."""
import html.parser
import json
import pathlib
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

selenium = pytest.importorskip("selenium")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from hubproc import Hub  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY = {"Authorization": "Bearer e2e-key"}

# Every page the hub serves, each an HTML page under the policy.
PAGES = ["/", "/payments", "/support", "/wallet", "/funnels", "/login", "/audit", "/demo/"]
# Files: what each must be served as (with nosniff, a script or style of another type is refused).
FILES = {"/tracker.js": "text/javascript", "/console.js": "text/javascript", "/console.css": "text/css",
         "/favicon.svg": "image/svg+xml", "/demo/store.js": "text/javascript", "/demo/store.css": "text/css"}

IMG = "<img src=x onerror=window.__pwned=1>"
HOSTILE = {
    "img-onerror": IMG,
    "svg-onload": '"><svg onload=window.__pwned=1>',
    "javascript-url": "javascript:window.__pwned=1",
    "script-close": "</script><script>window.__pwned=1</script>",
    "attribute-break": "' onmouseover='window.__pwned=1",
    "iframe-srcdoc": '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "entities": "&lt;img src=x onerror=window.__pwned=1&gt; &amp; &#60;b&#62;",
    "template": "{{constructor.constructor('window.__pwned=1')()}} ${window.__pwned=1}",
    "proto": "__proto__",
    "constructor": "constructor",
    "2000-chars": IMG + "A" * (2000 - len(IMG)),
    "rtl-override": "\u202etxt.exe\u202c" + IMG,
    "control-chars": "".join(chr(c) for c in range(1, 32)) + "\x7f" + IMG,
}
assert len(HOSTILE["2000-chars"]) == 2000

# The only addresses the store links to, and the only scripts it loads.
STORE_LINKS = {"/demo/", "/demo/?page=category&id=electronics", "/demo/?page=category&id=fashion",
               "/demo/?page=offer&id=black-friday", "/demo/?page=checkout", "/demo/?page=pay", "/demo/store.css"}
STORE_SCRIPTS = {"/demo/store.js", "/tracker.js"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("policy")), "--web-root", str(ROOT / "web"), "--broadcast-interval", "100ms")
    yield hub
    hub.stop()


def wait_for(driver, what, check, timeout=10):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: check())
    except Exception:
        raise AssertionError(f"the page never showed {what}; it shows: {driver.find_element(By.TAG_NAME, 'body').text[:1000]!r}")


def csp_reports(entries):
    """The browser's Content-Security-Policy messages ("Refused to …" in older Chromium,
    "… violates the following Content Security Policy directive …" in newer)."""
    return [e["message"] for e in entries if "content security policy" in e["message"].lower() or "refused to" in e["message"].lower()]


def uncaught(entries):
    """Script errors nobody caught (a page's own bug, or a payload that half ran)."""
    return [e["message"] for e in entries if e.get("source") == "javascript" or "uncaught" in e["message"].lower()]


def store_url(hub, page, value):
    return hub.base + "/demo/?page=" + page + "&id=" + urllib.parse.quote(value, safe="")


# What the store's page holds, read in the page.
INSPECT = """
const needle = arguments[0], all = [...document.querySelectorAll('*')];
const attrs = (filter) => all.flatMap((e) => [...e.attributes].filter(filter).map((a) => e.tagName + ' ' + a.name));
return {
  pwned: typeof window.__pwned,
  h1: (document.querySelector('#content h1') || {}).textContent,
  content: [...document.querySelectorAll('#content *')].map((e) => e.tagName),
  active: document.querySelectorAll('img, svg, math, iframe, frame, object, embed, base, form, template, style').length,
  handlers: attrs((a) => a.name.toLowerCase().startsWith('on') || a.name.toLowerCase() === 'style'),
  holding: attrs((a) => a.value.includes(needle)),
  links: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
    .map((e) => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || e.getAttribute('formaction')),
  scripts: [...document.scripts].map((s) => s.getAttribute('src')),
};"""


@pytest.mark.parametrize("page", ["category", "offer"])
@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_id_in_the_store_is_shown_as_text_and_never_runs(hub, browser, page, value):
    browser.get_log("browser")  # the log from here on
    browser.get(store_url(hub, page, value))
    wait_for(browser, "the store's heading", lambda: browser.execute_script("return !!document.querySelector('#content h1')"))
    # A pointer over the heading (for a payload that waits for one), then time for a failing
    # image or a late handler to fire.
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, "#content h1")).perform()
    time.sleep(0.2)
    seen = browser.execute_script(INSPECT, value)
    log = browser.get_log("browser")
    assert seen["pwned"] == "undefined", "the payload ran"
    assert seen["h1"] == ("Offer: " if page == "offer" else "") + value, "the id is not shown as it is, as text"
    assert seen["content"] == ["H1", "DIV"], f"the id made elements of its own: {seen['content']}"
    assert seen["active"] == 0 and seen["handlers"] == [], seen
    # The id is in one attribute only: the tracker's data-page-identifier (what it reports).
    assert seen["holding"] == ["SCRIPT data-page-identifier"], seen["holding"]
    assert set(seen["links"]) <= STORE_LINKS | STORE_SCRIPTS, f"an address not of the store's own: {seen['links']}"
    assert set(seen["scripts"]) == STORE_SCRIPTS, seen["scripts"]
    assert not csp_reports(log), f"something tried what the policy refuses: {csp_reports(log)}"
    assert not uncaught(log), f"uncaught errors: {uncaught(log)}"


def test_a_hostile_page_name_renders_nothing(hub, browser):
    browser.get_log("browser")
    browser.get(hub.base + "/demo/?page=" + urllib.parse.quote(IMG, safe="") + "&id=electronics")
    wait_for(browser, "the tracker", lambda: browser.execute_script("return !!window.LiveHub"))
    time.sleep(0.2)
    seen = browser.execute_script(INSPECT, IMG)
    log = browser.get_log("browser")
    assert seen["pwned"] == "undefined" and seen["content"] == [] and seen["active"] == 0, seen
    assert not csp_reports(log) and not uncaught(log), log


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is answered as it is (HTTPError), not followed


def get(hub, path):
    """(status, headers, body) of a plain GET, redirects not followed."""
    try:
        with urllib.request.build_opener(NoRedirect).open(hub.base + path, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def policy(headers):
    """The Content-Security-Policy as {directive: [sources]}; exactly one such header."""
    values = headers.get_all("Content-Security-Policy") or []
    assert len(values) == 1, f"Content-Security-Policy headers: {values}"
    directives = {}
    for part in values[0].split(";"):
        words = part.split()
        if words:
            assert words[0].lower() not in directives, f"{words[0]} twice in {values[0]}"
            directives[words[0].lower()] = words[1:]
    return values[0], directives


def assert_every_answer_headers(path, headers):
    assert headers.get("X-Content-Type-Options") == "nosniff", f"{path}: X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}"
    assert headers.get("Referrer-Policy") == "no-referrer", f"{path}: Referrer-Policy {headers.get('Referrer-Policy')!r}"


def assert_policy(path, headers):
    text, directives = policy(headers)
    assert "unsafe-inline" not in text and "unsafe-eval" not in text and "unsafe-hashes" not in text, f"{path}: {text}"
    assert "'self'" in directives.get("script-src", []), f"{path}: script-src 'self' missing: {text}"
    assert not set(directives["script-src"]) & {"*", "data:", "blob:", "http:", "https:"}, f"{path}: a wide script-src: {text}"
    for name in ("object-src", "base-uri", "frame-ancestors"):
        assert directives.get(name) == ["'none'"], f"{path}: {name} is not 'none': {text}"


def assert_page_policy(path, headers):
    assert_policy(path, headers)
    assert headers.get("X-Frame-Options") == "DENY", f"{path}: X-Frame-Options {headers.get('X-Frame-Options')!r}"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_served_under_the_policy(hub, path):
    status, headers, _ = get(hub, path)
    assert status == 200, f"{path} answered {status}: the page must be served"
    assert headers.get("Content-Type", "").startswith("text/html"), f"{path}: {headers.get('Content-Type')}"
    assert_every_answer_headers(path, headers)
    assert_page_policy(path, headers)


@pytest.mark.parametrize("path,expected", [*FILES.items(), ("/no-such-page", None), ("/healthz", None),
                                           ("/api/metrics/live-metrics", None)])
def test_every_answer_says_nosniff_and_no_referrer(hub, path, expected):
    status, headers, _ = get(hub, path)
    want = {"/no-such-page": 404, "/api/metrics/live-metrics": 401}.get(path, 200)
    assert status == want, f"{path} answered {status}, not {want}"
    assert_every_answer_headers(path, headers)
    if expected:
        assert headers.get("Content-Type", "").startswith(expected), f"{path}: {headers.get('Content-Type')}"
    if headers.get("Content-Type", "").startswith("text/html"):
        assert_page_policy(path, headers)  # an HTML answer, an error page too
    elif headers.get("Content-Security-Policy"):
        assert_policy(path, headers)  # a file that names a policy names the same strict one


class Inline(html.parser.HTMLParser):
    """What in a page the policy would refuse, and the files it loads."""
    def __init__(self):
        super().__init__()
        self.refused, self.assets, self.in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.refused.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.refused.append(f"<{tag} {name}={value}>")
        if tag == "style":
            self.refused.append("<style>")
        if tag == "script":
            if attrs.get("src"):
                self.assets.append((attrs["src"], "text/javascript"))
            else:
                self.in_script = True
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.assets.append((attrs.get("href"), "text/css"))
        if tag == "link" and "icon" in (attrs.get("rel") or "").split():
            self.assets.append((attrs.get("href"), attrs.get("type") or ""))

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.refused.append("inline <script>: " + data.strip()[:80])

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False


def test_pages_hold_no_inline_code_and_every_file_they_load_is_served(hub):
    """The served pages hold no inline script, style or handler (the policy would refuse it and
    the page would break), and every script, stylesheet and icon they name is served with its
    type (nosniff: a script served under another type does not run)."""
    assets = set()
    for path in PAGES:
        status, _, body = get(hub, path)
        assert status == 200, f"{path} answered {status}"
        parser = Inline()
        parser.feed(body.decode())
        assert parser.refused == [], f"{path} holds what the policy refuses: {parser.refused}"
        assert parser.assets, f"{path} loads nothing?"
        assets.update(parser.assets)
    assert ("/demo/store.css", "text/css") in assets and ("/demo/store.js", "text/javascript") in assets
    for src, kind in sorted(assets):
        assert src.startswith("/") and not src.startswith("//"), f"a page loads {src} from elsewhere"
        status, headers, _ = get(hub, src)
        assert status == 200, f"{src} (named by a page) answered {status}"
        assert headers.get("Content-Type", "").startswith(kind), f"{src}: {headers.get('Content-Type')}, not {kind}"
        assert_every_answer_headers(src, headers)


def test_the_browser_enforces_the_policy_and_reports_it(hub, browser):
    """Script injected into the store's document (as a payload that got into the DOM would be)
    does not run: an inline <script>, an inline handler, an inline style. The browser fires
    securitypolicyviolation for each and logs the refusal."""
    browser.get(hub.base + "/demo/")
    wait_for(browser, "the store", lambda: browser.execute_script("return !!document.querySelector('#content h1')"))
    browser.get_log("browser")
    browser.execute_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.effectiveDirective));
        const script = document.createElement('script');
        script.textContent = 'window.__inline = 1';
        document.head.appendChild(script);
        const img = document.createElement('img');
        img.setAttribute('onerror', 'window.__handler = 1');
        img.src = 'data:,not-an-image';
        document.body.appendChild(img);
        const div = document.createElement('div');
        div.id = 'styled';
        div.setAttribute('style', 'color: rgb(255, 0, 0)');
        document.body.appendChild(div);""")
    wait_for(browser, "three policy violations", lambda: len(browser.execute_script("return window.__violations")) >= 3)
    assert browser.execute_script("return typeof window.__inline") == "undefined", "an inline <script> ran"
    assert browser.execute_script("return typeof window.__handler") == "undefined", "an inline handler ran"
    assert browser.execute_script("return getComputedStyle(document.getElementById('styled')).color") != "rgb(255, 0, 0)", \
        "an inline style applied"
    violations = browser.execute_script("return window.__violations")
    assert {"script-src-elem", "script-src-attr", "style-src-attr"} <= set(violations), violations
    log = []
    deadline = time.time() + 5
    while time.time() < deadline and not any("script-src" in m for m in csp_reports(log)):
        log += browser.get_log("browser")
        time.sleep(0.1)
    reports = csp_reports(log)
    assert any("script-src" in m for m in reports), f"no Content-Security-Policy refusal of the script in the log: {log}"
    assert any("inline script" in m.lower() for m in reports), reports


JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")

READ_SECRETS = """
const stores = {};
for (const [name, s] of [['local', localStorage], ['session', sessionStorage]]) {
  stores[name] = {};
  for (let i = 0; i < s.length; i++) stores[name][s.key(i)] = s.getItem(s.key(i));
}
return {cookie: document.cookie, stores, path: location.pathname};"""


def assert_nothing_secret(seen):
    assert seen["cookie"] == "", f"page script reads cookies on {seen['path']}: {seen['cookie']!r}"
    for name, store in seen["stores"].items():
        for key, value in store.items():
            assert "token" not in key.lower(), f"{name}Storage holds {key!r} on {seen['path']}"
            assert not JWT.search(value or ""), f"{name}Storage {key!r} holds a token on {seen['path']}"


def test_nothing_secret_is_readable_by_page_script(hub, browser):
    browser.delete_all_cookies()
    for path in ("/demo/", "/"):
        browser.get(hub.base + "/demo/")  # an origin to clear storage on
        browser.execute_script("localStorage.clear(); sessionStorage.clear()")
        browser.get(hub.base + path)
        wait_for(browser, "the page loaded", lambda: browser.execute_script("return document.readyState") == "complete")
        time.sleep(0.5)  # the console's first call to the hub (and its way to /login, signed out)
        seen = browser.execute_script(READ_SECRETS)
        assert_nothing_secret(seen)
        if path == "/demo/":
            assert seen["stores"]["local"].get("livehub_session", "").startswith("s_"), \
                f"the tracker's session id was not found in localStorage: the check read nothing ({seen})"


def test_a_signed_in_operators_session_is_out_of_page_scripts_reach(hub, browser):
    """Signed in, the session cookie is there (HttpOnly) but page script cannot read it, and no
    storage holds a token."""
    from console_login import browser_sign_in
    browser.delete_all_cookies()
    browser_sign_in(browser, hub, "policy-seller", "seller")
    browser.get(hub.base + "/")
    wait_for(browser, "the dashboard, signed in", lambda: browser.execute_script(
        "return !!document.getElementById('signed-in-as')"))
    cookies = {c["name"]: c for c in browser.get_cookies()}
    assert "livehub_session" in cookies, f"no session cookie: the check below would prove nothing ({list(cookies)})"
    assert cookies["livehub_session"]["httpOnly"] is True, cookies["livehub_session"]
    assert_nothing_secret(browser.execute_script(READ_SECRETS))
    browser.delete_all_cookies()


def test_hostile_page_names_reported_by_shoppers_are_text_on_the_dashboard(hub, browser):
    """A storefront is anonymous: any page id it reports reaches the seller's dashboard, where
    it is shown as text."""
    from console_login import browser_sign_in
    accepted = []
    for i, value in enumerate(v for v in HOSTILE.values() if len(v) <= 256):
        sid = f"hostile-{i}"
        assert hub.request("POST", "/api/metrics/session/start", {"session_id": sid})[0] == 200
        status, _, _ = hub.request("POST", "/api/metrics/track/page-visit", {"session_id": sid, "page_type": "category",
                                                                               "page_identifier": value})
        if status == 200:
            accepted.append(value)
    assert any("<" in v for v in accepted), f"the hub refused every markup id: nothing to check ({accepted})"
    browser.delete_all_cookies()
    browser_sign_in(browser, hub, "policy-seller", "seller")
    browser.get(hub.base + "/")
    browser.get_log("browser")
    wait_for(browser, "the hostile categories", lambda: all(
        v in browser.execute_script("return document.getElementById('list-categories').textContent") for v in accepted))
    time.sleep(0.2)
    assert browser.execute_script("return typeof window.__pwned") == "undefined", "a reported page id ran on the dashboard"
    assert browser.execute_script("return document.querySelectorAll('#list-categories img, #list-categories svg, "
                                  "#list-categories iframe, #list-categories script').length") == 0
    log = browser.get_log("browser")
    assert not csp_reports(log) and not uncaught(log), log
    browser.delete_all_cookies()
