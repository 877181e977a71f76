"""Alerts: to the seller room and to an outgoing webhook (Discord-shaped), retried with the same body,
over plain HTTP and over HTTPS verified against a test CA."""
import asyncio
import http.server
import json
import os
import ssl
import subprocess
import threading
import time

import pytest
import websockets

from conftest import free_port
from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}


class Receiver:
    """A webhook endpoint that fails its first `failures` requests with 500, then answers 204."""

    def __init__(self, failures=0, tls=None):
        self.bodies = []
        self.failures = failures
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((body, self.headers.get("Content-Type")))
                self.send_response(500 if len(receiver.bodies) <= receiver.failures else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=10):
        deadline = time.time() + timeout
        while len(self.bodies) < count and time.time() < deadline:
            time.sleep(0.05)
        return self.bodies

    def close(self):
        self.server.shutdown()


def alerts(hub):
    status, body, _ = hub.request("GET", "/api/alerts", headers=KEY)
    assert status == 200
    return body


def test_money_alerts_reach_sellers_and_the_webhook_with_retries(tmp_path):
    receiver = Receiver(failures=1)
    hub = Hub(str(tmp_path), "--alert-webhook", f"http://127.0.0.1:{receiver.port}/api/webhooks/1/token")
    try:
        async def run():
            seller = await websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller"))
            for _ in range(2):
                await asyncio.wait_for(seller.recv(), 5)  # the state on join
            status, _, _ = await asyncio.to_thread(hub.request, "POST", "/api/wallet/transactions",
                                                   {"user_id": "dave", "amount": "60.00", "type": "debit", "description": "bulk sms", "reference": "big-1"}, KEY)
            assert status == 201
            kinds = []
            while len(kinds) < 2:
                message = json.loads(await asyncio.wait_for(seller.recv(), 5))
                if message["type"] == "alert":
                    kinds.append(message["data"]["kind"])
                    assert message["data"]["user_id"] == "dave"
            assert sorted(kinds) == ["large_deduction", "negative_balance"]
            await seller.close()

        asyncio.run(run())
        bodies = receiver.wait_for(3)  # one failed (500) and retried, one straight through
        assert len(bodies) == 3
        payloads = [json.loads(b) for b, _ in bodies]
        assert all(ctype == "application/json" for _, ctype in bodies)
        # The retried alert went out byte for byte the same.
        assert bodies[0][0] in [b for b, _ in bodies[1:]]
        large = [p for p in payloads if p["embeds"][0]["title"] == "Large deduction"][0]
        assert "dave" in large["content"] and "60.00" in large["content"]
        deadline = time.time() + 5
        while time.time() < deadline and not all(a["webhook"]["status"] == "sent" for a in alerts(hub)):
            time.sleep(0.1)
        listed = alerts(hub)
        assert {a["kind"] for a in listed} == {"large_deduction", "negative_balance"}
        assert all(a["webhook"]["status"] == "sent" for a in listed)
        assert sorted(a["webhook"]["attempts"] for a in listed) == [1, 2]

        # More than 10 transactions in 5 minutes: one velocity alert for the burst.
        for i in range(12):
            hub.request("POST", "/api/wallet/transactions",
                        {"user_id": "erin", "amount": "1.00", "type": "credit", "description": "", "reference": f"v{i}"}, KEY)
        # A burst of payment errors from the storefront.
        for i in range(5):
            hub.beacon("track/payment-error", {"session_id": f"s{i}", "error_code": "declined", "error_message": "card declined"})
        # The spike is raised by the presence side, not by a request: it is listed once written.
        deadline = time.time() + 5
        while time.time() < deadline and "payment_error_spike" not in [a["kind"] for a in alerts(hub)]:
            time.sleep(0.05)
        kinds = [a["kind"] for a in alerts(hub)]
        assert kinds.count("high_velocity") == 1 and kinds.count("payment_error_spike") == 1
    finally:
        hub.stop()
        receiver.close()


def make_test_ca(directory):
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=LiveHub Test CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "san.ext")
    return [os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key")]


@pytest.mark.parametrize("trusted", [True, False])
def test_an_https_webhook_is_sent_only_to_a_verified_server(tmp_path, trusted):
    ca, cert, key = make_test_ca(str(tmp_path))
    receiver = Receiver(tls=(cert, key))
    # OpenSSL's default verify paths honour SSL_CERT_FILE: the hub trusts the test CA only when told to.
    env = {"SSL_CERT_FILE": ca} if trusted else {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
    hub = Hub(str(tmp_path / "data"), "--alert-webhook", f"https://localhost:{receiver.port}/hook", env=env)
    try:
        hub.request("POST", "/api/wallet/transactions",
                    {"user_id": "fay", "amount": "75.00", "type": "credit", "description": "", "reference": "c"}, KEY)
        hub.request("POST", "/api/wallet/transactions",
                    {"user_id": "fay", "amount": "70.00", "type": "debit", "description": "", "reference": "d"}, KEY)
        if trusted:
            assert len(receiver.wait_for(1)) == 1
            assert json.loads(receiver.bodies[0][0])["embeds"][0]["title"] == "Large deduction"
        else:
            deadline = time.time() + 5
            while time.time() < deadline and not (alerts(hub) and alerts(hub)[0]["webhook"]["last_error"]):
                time.sleep(0.1)
            alert = alerts(hub)[0]
            assert receiver.bodies == []
            assert "certificate verify failed" in alert["webhook"]["last_error"], alert
    finally:
        hub.stop()
        receiver.close()


def test_a_restart_resumes_the_deliveries_still_pending(tmp_path):
    """The alert is committed with the write that raised it (an outbox row); a hub stopped
    while the webhook fails leaves it pending, and the next start delivers it."""
    receiver = Receiver(failures=1000)  # refuses everything for now
    url = f"http://127.0.0.1:{receiver.port}/hook"
    hub = Hub(str(tmp_path), "--alert-webhook", url)
    try:
        status, _, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "u1", "amount": "90.00", "type": "debit",
                                                                       "description": "big", "reference": "big-1"}, headers=KEY)
        assert status == 201
        assert receiver.wait_for(1)  # tried once, refused
        deadline = time.time() + 5
        while time.time() < deadline:
            pending = [a for a in alerts(hub) if a["kind"] == "large_deduction"]
            if pending and pending[0]["webhook"]["attempts"] >= 1:
                break
            time.sleep(0.05)
        assert pending[0]["webhook"]["status"] == "pending" and pending[0]["webhook"]["last_error"] == "HTTP 500", pending
        raised = len([a for a in alerts(hub) if a["webhook"]["status"] == "pending"])
        assert raised == 2  # the large deduction, and the negative balance it caused
    finally:
        hub.stop()
    receiver.failures = 0
    tried = len(receiver.bodies)
    again = Hub(str(tmp_path), "--alert-webhook", url)
    try:
        # Every pending one, once more.
        bodies = receiver.wait_for(tried + raised)
        time.sleep(0.3)
        assert len(bodies) == tried + raised and any(b"big-1" in body for body, _ in bodies[tried:])
        deadline = time.time() + 5
        while time.time() < deadline and any(a["webhook"]["status"] != "sent" for a in alerts(again)):
            time.sleep(0.05)
        assert sorted(a["webhook"]["status"] for a in alerts(again)) == ["sent"] * raised
        # Said in the log (swift-log: one line, its facts as key=value).
        again.stop()
        log = "".join(again.output)
        assert any("resuming pending alert deliveries" in line and "alerts=2" in line for line in log.splitlines()), log
    finally:
        again.stop()
        receiver.close()



@pytest.mark.parametrize("notify", ["credited,webhook-failures", "none"])
def test_notices_a_credit_in_green_a_failed_webhook_in_orange_each_switchable(tmp_path, notify):
    receiver = Receiver()
    hub = Hub(str(tmp_path), "--alert-webhook", f"http://127.0.0.1:{receiver.port}/hook", "--paystack-secret", "sk_test",
              "--notify", notify)
    try:
        for stage in ("initialized", "completed", "credited"):
            status, _, _ = hub.request("POST", "/api/payments/events", {"reference": "n-1", "provider": "paystack", "stage": stage,
                                                                       "amount": "15", "currency": "NGN", "email": "ann@shop.test"}, KEY)
            assert status == 200
        # Two deliveries with a wrong signature: one notice (they are throttled per provider).
        for _ in range(2):
            status, _, _ = hub.request("POST", "/api/webhooks/paystack", raw=b'{"event":"charge.success","data":{"reference":"n-1"}}',
                                       headers={"Content-Type": "application/json", "x-paystack-signature": "00" * 64})
            assert status == 401
        stats = hub.request("GET", "/api/payments/stats", headers=KEY)[1]
        assert stats["credited"] == 1 and stats["success_rate"] == 1.0 and stats["median_minutes_to_credit"] == 0.0
        if notify == "none":
            time.sleep(0.5)
            assert alerts(hub) == [] and receiver.bodies == []
            return
        bodies = receiver.wait_for(2)
        embeds = {json.loads(b)["embeds"][0]["title"]: json.loads(b)["embeds"][0] for b, _ in bodies}
        assert set(embeds) == {"Payment credited", "Webhook failed"}
        assert embeds["Payment credited"]["color"] == 0x2ECC71 and "n-1 15.00 NGN" in embeds["Payment credited"]["description"]
        assert embeds["Webhook failed"]["color"] == 0xE67E22 and "rejected" in embeds["Webhook failed"]["description"]
        assert sorted(a["kind"] for a in alerts(hub)) == ["payment_credited", "webhook_failed"]
    finally:
        hub.stop()
        receiver.close()


INJECTION = "@everyone URGENT https://evil.example/login <!channel> <@U123|boss> **bold** [click](https://evil.example)"


def test_text_from_outside_is_inert_in_the_discord_alert(tmp_path):
    """An unsigned delivery's reference is anyone's text: in the chat it pings nobody, links
    nowhere and formats nothing (the Slack form: ChatTextTests)."""
    receiver = Receiver()
    hub = Hub(str(tmp_path), "--paystack-secret", "sk_inert", "--alert-webhook", f"http://127.0.0.1:{receiver.port}/api/webhooks/1/t")
    try:
        body = json.dumps({"event": "charge.success", "data": {"reference": INJECTION, "amount": 100}}).encode()
        status, _, _ = hub.request("POST", "/api/webhooks/paystack", raw=body,
                                   headers={"Content-Type": "application/json", "x-paystack-signature": "00"})
        assert status == 401
        sent = json.loads(receiver.wait_for(1)[0][0])
        assert sent["allowed_mentions"] == {"parse": []}
        text = sent["content"] + sent["embeds"][0]["description"] + json.dumps(sent["embeds"][0]["fields"])
        assert "unverified" in sent["content"]
        unescaped = text.replace("\\<", "").replace("\\[", "").replace("\\*", "")  # an escaped one is plain text
        for live in ("@everyone", "https://", "<!channel>", "<@U123", "**bold**", "[click](https"):
            assert live not in unescaped, (live, text)
        assert "evil.example" in sent["content"], "the text is shown, made inert"
    finally:
        hub.stop()
        receiver.close()
