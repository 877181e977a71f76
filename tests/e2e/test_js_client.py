"""The JavaScript client (clients/js) against a real hub in Debian's headless Chromium.

`tsc --strict` passes on its source (Debian's node-typescript), web/tracker.js is what that
source makes, and its unit tests pass under Node's test runner. Then a page on another origin
(a tiny Python server here) keeps a balance socket through a small TCP proxy the test
controls: the proxy drops every connection (and refuses new ones for a moment) while the
ledger is written, and the hub is killed (SIGKILL) and started again on the same port and
data dir; the page sees every seq once, in order. React 18 from Debian's package files
renders the hooks' live values, one socket per hub and credentials however often it
re-renders, none left open once unmounted."""
import functools
import http.server
import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import free_port
from hubproc import Hub, wait_for
from tcp_proxy import TCPProxy

selenium = pytest.importorskip("selenium")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "js"
KEY = {"Authorization": "Bearer e2e-key"}
REACT = pathlib.Path("/usr/share/nodejs/react/umd")
REACT_DOM = pathlib.Path("/usr/share/nodejs/react-dom/umd")


def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip("not installed: " + ", ".join(missing) + " (scripts/setup-test-env)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The client compiled by tsc into a folder of the test's own (the repo's dist/ is left alone)."""
    need("node", "tsc")
    out = tmp_path_factory.mktemp("livehub-js")
    subprocess.run(["node", str(CLIENT / "build.mjs"), "--out", str(out), "--check"], check=True, cwd=ROOT, timeout=180)
    return out


def test_typescript_is_strict_clean():
    need("tsc")
    done = subprocess.run(["tsc", "-p", str(CLIENT), "--strict", "--noEmit"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


def test_node_unit_tests(built):
    done = subprocess.run(["node", "--test", str(CLIENT / "test")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LIVEHUB_JS_DIST": str(built)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout and "# pass " in done.stdout


# --- what the test runs besides the hub ------------------------------------------------------

PAGES = {
    "balance.html": """<!doctype html><meta charset="utf-8"><title>balance</title>
<script type="module">
import { connectBalance } from "./dist/livehub.js";
const q = new URLSearchParams(location.search);
Object.assign(window, { __seqs: [], __states: [], __balance: null, __tokens: 0 });
window.__conn = connectBalance({
  url: q.get("hub"), getToken: () => { window.__tokens++; return q.get("token"); },
  backoff: { initialMs: 100, maxMs: 1000 },
  onUpdate: (m) => { window.__seqs.push(m.seq); window.__balance = m.balance; },
  onState: (s, info) => window.__states.push(s + (info.recovered ? "+recovered" : "")),
});
</script>""",
    # React's UMD builds set window.React; the import map lets the hooks' `from "react"` find it.
    "react-shim.js": """const R = window.React;
export default R;
export const { useCallback, useEffect, useState, useSyncExternalStore, createElement, StrictMode } = R;
""",
    "react.html": """<!doctype html><meta charset="utf-8"><title>hooks</title>
<script src="react/react.development.js"></script>
<script src="react-dom/react-dom.development.js"></script>
<script type="importmap">{"imports": {"react": "./react-shim.js"}}</script>
<div id="root"></div>
<script type="module">
const Native = window.WebSocket;
Object.assign(window, { __opened: 0, __closed: 0, __errors: [] });
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
// Counts the sockets the hooks open and close.
window.WebSocket = class extends Native {
  constructor(url, protocols) { super(url, protocols); window.__opened++; this.addEventListener("close", () => window.__closed++); }
};
const { useBalance, useNotifications, useLiveMetrics } = await import("./dist/react.js");
const React = window.React, h = React.createElement;
const q = new URLSearchParams(location.search);
const hub = q.get("hub"), token = q.get("token"), seller = q.get("seller");
function Wallet() {
  const b = useBalance({ url: hub, token });
  return h("p", null, h("span", { id: "balance" }, b.balance === null ? "-" : b.balance.toFixed(2)), " seq ", h("span", { id: "seq" }, String(b.seq)), " ", h("span", { id: "state" }, b.state));
}
function Inbox() {
  const n = useNotifications({ url: hub, token });
  return h("div", null, h("span", { id: "unseen" }, String(n.unseen)), h("ul", { id: "notes" }, n.notifications.map((x) => h("li", { key: x.id }, x.title))));
}
function Seller() {
  const m = useLiveMetrics({ url: hub, token: seller });
  return h("span", { id: "active" }, m.metrics ? String(m.metrics.total_active) : "-");
}
function App() {
  const [tick, setTick] = React.useState(0), [shown, setShown] = React.useState(true);
  window.__rerender = () => setTick((t) => t + 1);
  window.__unmount = () => setShown(false);
  return h("main", null, h("span", { id: "tick" }, String(tick)), shown ? [h(Wallet, { key: "w" }), h(Inbox, { key: "i" }), h(Seller, { key: "s" })] : null);
}
ReactDOM.createRoot(document.getElementById("root")).render(h(React.StrictMode, null, h(App)));
</script>""",
}


@pytest.fixture(scope="module")
def site(built, tmp_path_factory):
    """The pages, the built client and Debian's React, served from another origin than the hub's."""
    if not (REACT / "react.development.js").exists() or not (REACT_DOM / "react-dom.development.js").exists():
        pytest.skip("node-react and node-react-dom are not installed")
    root = tmp_path_factory.mktemp("site")
    for name, text in PAGES.items():
        (root / name).write_text(text)
    for name, target in (("dist", built), ("react", REACT), ("react-dom", REACT_DOM)):
        (root / name).symlink_to(target)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def credit(hub, user, n, amount="1.00"):
    status, answer, _ = hub.request("POST", "/api/wallet/transactions", {
        "user_id": user, "amount": amount, "type": "credit", "description": f"top-up {n}", "reference": f"{user}-{n}"}, KEY)
    assert status == 201, answer
    return answer


def page_value(driver, name):
    return driver.execute_script("return window." + name)


def test_balance_socket_survives_dropped_network_and_hub_restart(browser, site, tmp_path):
    data = str(tmp_path / "hub")
    port = free_port()
    hub = Hub(data, port=port)
    proxy = TCPProxy(port)
    user = "jsuser"
    try:
        token = hub.token("balance", sub=user)
        query = urllib.parse.urlencode({"hub": f"http://127.0.0.1:{proxy.port}", "token": token})
        browser.get(f"{site}/balance.html?{query}")
        seqs = lambda: page_value(browser, "__seqs") or []
        wait_for(lambda: seqs() == [0])
        written = 0
        for _ in range(3):
            written += 1
            credit(hub, user, written)
        wait_for(lambda: seqs()[-1:] == [written])

        # The network goes: every socket closed, and none let through for a second, while
        # the ledger is written.
        assert proxy.drop(refuse=1.0) >= 1
        for _ in range(3):
            written += 1
            credit(hub, user, written)
        wait_for(lambda: seqs()[-1:] == [written])

        # The hub is killed mid-stream and started again on the same port and data dir.
        hub.stop(signal.SIGKILL)
        time.sleep(0.5)  # the page tries (and fails) at least once while it is down
        hub = Hub(data, port=port)
        for _ in range(3):
            written += 1
            credit(hub, user, written)
        wait_for(lambda: seqs()[-1:] == [written])

        # Drops while writes are under way: what is in flight at the drop comes by the resume.
        stop = threading.Event()

        def dropper():
            while not stop.wait(0.15):
                proxy.drop()
        thread = threading.Thread(target=dropper, daemon=True)
        thread.start()
        for _ in range(20):
            written += 1
            credit(hub, user, written)
            time.sleep(0.03)
        stop.set()
        thread.join()
        wait_for(lambda: seqs()[-1:] == [written], seconds=20)

        assert seqs() == list(range(0, written + 1)), "every seq once, in order"
        assert page_value(browser, "__balance") == written  # JSON's 29.00 is JavaScript's 29
        states = page_value(browser, "__states")
        assert states.count("open+recovered") >= 3, states
        assert "waiting" in states, "a try failed while the network or the hub was away"
        # A token was asked for each socket that opened (the refresh callback), not once.
        assert page_value(browser, "__tokens") >= 1 + states.count("open+recovered")
    finally:
        browser.execute_script("window.__conn && window.__conn.close()")
        proxy.close()
        hub.stop()


def test_react_hooks_render_live_values(browser, site, tmp_path):
    hub = Hub(str(tmp_path / "hub"), "--broadcast-interval", "100ms")
    user = "reactuser"
    try:
        query = urllib.parse.urlencode({"hub": hub.base, "token": hub.token("balance", sub=user), "seller": hub.token("seller")})
        browser.get(f"{site}/react.html?{query}")
        text = lambda css: browser.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", css)
        wait_for(lambda: text("#state") == "open" and text("#active") not in (None, "-"))
        # StrictMode mounts twice and the two balance hooks share their arguments: one balance
        # socket and one seller socket, however often the page renders.
        for i in range(5):
            browser.execute_script("window.__rerender()")
        wait_for(lambda: text("#tick") == "5")
        assert page_value(browser, "__opened") == 2

        credit(hub, user, 1, amount="5.00")
        wait_for(lambda: text("#balance") == "5.00" and text("#seq") == "1")
        wait_for(lambda: text("#unseen") == "1" and text("#notes li") not in (None, ""))

        before = int(text("#active"))
        hub.beacon("session/start", {"session_id": "s_react_1"})
        hub.beacon("track/page-visit", {"session_id": "s_react_1", "page_type": "homepage"})
        wait_for(lambda: text("#active") == str(before + 1))

        browser.execute_script("window.__unmount()")
        wait_for(lambda: page_value(browser, "__closed") == 2)
        assert page_value(browser, "__opened") == 2
        assert page_value(browser, "__errors") == []
    finally:
        hub.stop()
