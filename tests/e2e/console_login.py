"""Signing in to the console as an operator, for the e2e tests: a one-time sign-in link minted
through the API (the browser follows it), or a name and password over HTTP (the session
cookie and its CSRF token for urllib). `hub` is a hubproc.Hub or anything with a `base` URL
(an attribute or a key)."""
import http.cookies
import json
import urllib.error
import urllib.parse
import urllib.request


def base(hub):
    return hub["base"] if isinstance(hub, dict) else hub.base


def sign_in_link(hub, name, role, key="e2e-key"):
    """POST /api/console/links with the API key: the answer's {"url": ".../login#code=…", "expires_at": …}."""
    request = urllib.request.Request(base(hub) + "/api/console/links", method="POST",
                                     data=json.dumps({"user": name, "role": role}).encode(),
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201, answer.status
            link = json.loads(answer.read())
    except urllib.error.HTTPError as e:
        raise AssertionError(f"POST /api/console/links answered {e.code}: {e.read()[:500]!r}") from None
    assert "/login#code=" in link["url"], link
    return link


def link_code(link):
    """The one-time code in a sign-in link's fragment."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).fragment)["code"][0]


def on_path(driver):
    return urllib.parse.urlsplit(driver.current_url).path


def browser_sign_in(browser, hub, name, role, key="e2e-key", next=None, timeout=10):
    """Follows a fresh sign-in link for `name` (`role`) and waits until the page has left /login
    (for `next`, a path on the hub, when given: the sign-in page goes there)."""
    from selenium.webdriver.support.ui import WebDriverWait
    url = sign_in_link(hub, name, role, key)["url"]
    if next:
        url = url.replace("/login#", "/login?next=" + urllib.parse.quote(next, safe="") + "#", 1)
    browser.get(url)
    try:
        WebDriverWait(browser, timeout, poll_frequency=0.1).until(lambda d: on_path(d) != "/login")
    except Exception:
        raise AssertionError(f"the sign-in link for {name} left the browser on {browser.current_url}: "
                             + browser.execute_script("return document.body.innerText")[:1000]) from None


def session_cookie(set_cookie_headers):
    """`livehub_session=…` from a response's Set-Cookie headers (None when it sets none)."""
    for header in set_cookie_headers or []:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        if "livehub_session" in jar and jar["livehub_session"].value:
            return "livehub_session=" + jar["livehub_session"].value
    return None


def post_login(hub, body, headers=None):
    """POST /api/console/login: (status, JSON body, headers as an email.message.Message)."""
    request = urllib.request.Request(base(hub) + "/api/console/login", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null"), answer.headers
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        return e.code, body, e.headers


def http_sign_in(hub, name, password):
    """Signs in with a name and password over HTTP: (cookie, csrf), the cookie as `livehub_session=…`."""
    status, body, headers = post_login(hub, {"name": name, "password": password})
    assert status == 200, f"sign-in as {name} answered {status}: {body}"
    cookie = session_cookie(headers.get_all("Set-Cookie"))
    assert cookie, "the sign-in set no livehub_session cookie: " + str(headers.get_all("Set-Cookie"))
    assert body["user"]["name"] == name and body["csrf"], body
    return cookie, body["csrf"]


def browser_cookie(browser):
    """The browser's session cookie as `livehub_session=…` (None when it has none)."""
    for cookie in browser.get_cookies():
        if cookie["name"] == "livehub_session":
            return "livehub_session=" + cookie["value"]
    return None
