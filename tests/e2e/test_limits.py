"""Limits an anonymous client meets, through real sockets from several client addresses
(127.0.0.2, 127.0.0.3, … are all loopback)."""
import asyncio
import http.client
import json
import socket
import time
import urllib.request

import pytest
import websockets

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}


def post(port, path, body, source="127.0.0.1", headers=None, raw=None):
    """One POST from a chosen source address; (status, body, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    return resp.status, (json.loads(text) if text else None), dict(resp.getheaders())


def metric(hub, name):
    status, _, _ = hub.request("GET", "/healthz")
    with socket.create_connection(("127.0.0.1", hub.port)) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        text = b""
        while chunk := s.recv(65536):
            text += chunk
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture
def limited_hub(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "1", "--beacon-rate", "5/s", "--beacon-burst", "10",
              "--webhook-rate", "1/s", "--webhook-burst", "3", "--max-sessions", "30", "--max-tracked-keys", "5",
              "--trusted-proxy", "127.0.0.9/32", "--paystack-secret", "ps")
    yield hub
    hub.stop()


def test_beacons_are_rate_limited_per_client_address(limited_hub):
    hub = limited_hub
    path = "/api/metrics/heartbeat"
    answers = [post(hub.port, path, {"session_id": f"a{i}"}, source="127.0.0.2") for i in range(14)]
    statuses = [a[0] for a in answers]
    assert statuses[:10] == [200] * 10 and 429 in statuses[10:], statuses
    refused = next(a for a in answers if a[0] == 429)
    assert refused[1]["error"]["code"] == "rate_limited"
    assert int(refused[2]["Retry-After"]) >= 1
    # Another address has its own bucket.
    assert post(hub.port, path, {"session_id": "b"}, source="127.0.0.3")[0] == 200
    # A trusted proxy's X-Forwarded-For names the client: a new bucket per client behind it…
    for i in range(3):
        assert post(hub.port, path, {"session_id": f"c{i}"}, source="127.0.0.9",
                    headers={"X-Forwarded-For": f"198.51.100.{i}"})[0] == 200
    # …while an untrusted peer's header is ignored: 127.0.0.2 is still out of tokens.
    assert post(hub.port, path, {"session_id": "d"}, source="127.0.0.2",
                headers={"X-Forwarded-For": "198.51.100.77"})[0] == 429
    assert metric(hub, 'livehub_rate_limited_total{kind="beacon"}') >= 2
    # A refill: after a second (5/s) the address may send again.
    time.sleep(1.1)
    assert post(hub.port, path, {"session_id": "e"}, source="127.0.0.2")[0] == 200


def test_track_socket_messages_share_the_beacon_limit(limited_hub):
    hub = limited_hub

    async def run():
        async with websockets.connect(hub.ws + "/ws/track") as ws:
            for i in range(15):
                await ws.send(json.dumps({"type": "heartbeat", "session_id": "t1"}))
            errors = []
            try:
                while True:
                    errors.append(json.loads(await asyncio.wait_for(ws.recv(), 1)))
            except asyncio.TimeoutError:
                pass
            return errors

    errors = asyncio.run(run())
    assert errors and all(e["error"]["code"] == "rate_limited" for e in errors), errors
    assert len(errors) >= 4


def test_webhooks_are_rate_limited_and_bad_ones_kept_truncated(limited_hub):
    hub = limited_hub
    big = json.dumps({"event": "charge.success", "data": {"reference": "r1", "junk": "x" * 200_000}}).encode()
    answers = [post(hub.port, "/api/webhooks/paystack", None, source="127.0.0.4", raw=big,
                    headers={"x-paystack-signature": "00" * 64}) for _ in range(5)]
    assert [a[0] for a in answers][:3] == [401, 401, 401]
    assert 429 in [a[0] for a in answers[3:]]
    status, log, _ = hub.request("GET", "/api/webhooks/log?provider=paystack", headers=KEY)
    assert status == 200 and len(log) == 3
    for entry in log:
        assert entry["signature_valid"] is False and entry["payload_truncated"] is True
        assert len(json.dumps(entry)) < 8_000


def test_a_full_session_table_forgets_ended_sessions_then_refuses(limited_hub):
    hub = limited_hub
    sources = [f"127.0.1.{i}" for i in range(1, 10)]  # 9 addresses × 10 tokens: no rate limit meets us
    n = 0

    def start(sid):
        nonlocal n
        n += 1
        return post(hub.port, "/api/metrics/session/start", {"session_id": sid}, source=sources[n % len(sources)])

    for i in range(30):
        assert start(f"s{i}")[0] == 200
    for i in range(5):
        assert post(hub.port, "/api/metrics/session/end", {"session_id": f"s{i}"}, source=sources[i % 9])[0] == 200
    for i in range(5):
        assert start(f"new{i}")[0] == 200  # the ended ones made room
    status, body, _ = start("one-too-many")
    assert status == 503 and body["error"]["code"] == "session_table_full"
    assert hub.metrics()["total_active"] == 30
    assert metric(hub, "livehub_sessions_refused_total") == 1
    assert metric(hub, "livehub_sessions_evicted_total") == 5


def test_fields_are_capped_and_maps_bounded(limited_hub):
    hub = limited_hub
    status, body, _ = post(hub.port, "/api/metrics/track/checkout-start",
                           {"session_id": "c", "checkout_items": ["x" * 10_000], "total_amount": "1"}, source="127.0.2.1")
    assert status == 400 and "checkout_items" in body["error"]["message"]
    status, body, _ = post(hub.port, "/api/metrics/track/payment-error",
                           {"session_id": "c", "error_code": "e", "error_message": "m", "error_details": {"d": "y" * 5000}}, source="127.0.2.1")
    assert status == 400 and "error_details" in body["error"]["message"]
    status, body, _ = post(hub.port, "/api/metrics/track/page-visit", {"session_id": "c", "page_type": "p", "page_url": "u" * 3000},
                           source="127.0.2.1")
    assert status == 400 and "page_url" in body["error"]["message"]
    status, body, _ = post(hub.port, "/api/metrics/heartbeat", {"session_id": "c"}, source="127.0.2.1",
                           headers={"User-Agent": "A" * 600})
    assert status == 400 and "User-Agent" in body["error"]["message"]
    for i in range(12):
        assert post(hub.port, "/api/metrics/track/page-visit",
                    {"session_id": f"k{i}", "page_type": "category", "page_identifier": f"cat{i}"}, source=f"127.0.3.{i + 1}")[0] == 200
    live = hub.metrics()
    assert len(live["categories"]) == 5 and live["categories"]["other"] == 8
    assert sum(live["categories"].values()) == 12 and live["pages"]["category"] == 12


def test_tokens_with_a_string_exp_or_a_claim_twice_are_refused(limited_hub):
    import base64, hashlib, hmac
    hub = limited_hub

    def token(payload):
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload.encode())
        return head + "." + b64(hmac.new(b"e2e-secret", head.encode(), hashlib.sha256).digest())

    exp = int(time.time()) + 3600
    good = token('{"sub":"s","scope":"seller","exp":%d}' % exp)
    assert hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + good})[0] == 200
    # A seller token may live 90 days at most, wherever it was minted.
    too_long = token('{"sub":"s","scope":"seller","exp":%d}' % (exp + 91 * 86400))
    status, body, _ = hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + too_long})
    assert status == 401 and "longer" in body["error"]["message"]
    for payload in ['{"sub":"s","scope":"seller","exp":"%d"}' % exp,
                    '{"sub":"s","scope":"balance","scope":"seller","exp":%d}' % exp]:
        status, body, _ = hub.request("GET", "/api/metrics/live-metrics", headers={"Authorization": "Bearer " + token(payload)})
        assert status == 401 and body["error"]["code"] == "invalid_token", payload


def test_a_client_that_does_not_read_its_answers_is_paused_then_closed(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "1")
    try:
        s = socket.create_connection(("127.0.0.1", hub.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        request = b"GET /tracker.js HTTP/1.1\r\nHost: x\r\n\r\n" * 200
        sent = 0
        deadline = time.time() + 8
        while time.time() < deadline:
            try:
                sent += s.send(request)
            except BlockingIOError:
                time.sleep(0.05)  # the hub stopped reading us: TCP pushes back
        assert sent < 50_000_000, "the hub kept reading a client that never reads"
        rss = int(next(l for l in open(f"/proc/{hub.proc.pid}/status") if l.startswith("VmRSS:")).split()[1])
        assert rss < 200_000, f"RSS {rss} KiB"
        # The hub itself is fine, and after the request timeout the stuck client is closed.
        assert hub.request("GET", "/healthz")[0] == 200
        time.sleep(11)
        assert metric(hub, "livehub_unread_answer_closes_total") == 1
        s.close()
    finally:
        hub.stop()


def test_idle_connections_at_the_limit_make_way_for_real_requests(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "1", "--max-connections", "40")
    idle = []
    try:
        for i in range(60):
            idle.append(socket.create_connection(("127.0.0.1", hub.port), source_address=(f"127.0.4.{i % 250 + 1}", 0)))
        time.sleep(0.3)
        assert hub.request("GET", "/healthz")[0] == 200
        status, tx, _ = hub.request("POST", "/api/wallet/transactions",
                                    {"user_id": "u", "amount": "1.00", "type": "credit", "description": "d", "reference": "r"}, headers=KEY)
        assert status == 201

        async def seller():
            async with websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller")) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 5))["type"]

        assert asyncio.run(seller()) == "metrics-update"
        assert metric(hub, "livehub_connections_open") <= 40
        assert metric(hub, "livehub_connections_shed_total") >= 20
    finally:
        for s in idle:
            s.close()
        hub.stop()


def test_a_seller_that_does_not_read_gets_its_101_before_any_close(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "1", "--test-endpoints", "--beacon-rate", "100000/s", "--beacon-burst", "100000")
    try:
        token = hub.token("seller")
        s = socket.create_connection(("127.0.0.1", hub.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall((f"GET /ws/seller?token={token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())

        # Flood the room through /ws/broadcast's machinery is not the seller room; instead
        # make many payment errors, each a seller update, while the seller does not read.
        async def flood():
            async with websockets.connect(hub.ws + "/ws/track", max_size=None) as ws:
                for i in range(3000):
                    await ws.send(json.dumps({"type": "payment-error", "session_id": f"p{i}", "error_code": "e",
                                              "error_message": "m" * 2000, "error_details": {"d": "z" * 3000}}))
                await asyncio.sleep(2)

        asyncio.run(flood())
        s.settimeout(5)
        first = s.recv(12)
        assert first.startswith(b"HTTP/1.1 101"), first
        s.close()
    finally:
        hub.stop()


def test_a_ping_flood_that_never_reads_does_not_pile_up_pongs(tmp_path):
    import os
    hub = Hub(str(tmp_path), "--loops", "1")
    try:
        s = socket.create_connection(("127.0.0.1", hub.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /ws/track HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        mask = os.urandom(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"p" * 125))
        ping = bytes([0x89, 0x80 | 125]) + mask + payload  # a masked ping (RFC 6455 §5.5.2)
        flood = ping * 4000
        # About 65 MB of pings, none of the pongs read. If the hub stops taking them (it
        # closes the flooder, or, seen now and then, stops reading it), the flood ends
        # there: what is checked is the hub's memory and its answers to everyone else.
        s.settimeout(10)
        sent = 0
        try:
            for _ in range(130):
                s.sendall(flood)
                sent += len(flood)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        assert sent >= 4 * len(flood), f"only {sent} bytes of pings were taken"
        time.sleep(0.5)
        rss = int(next(l for l in open(f"/proc/{hub.proc.pid}/status") if l.startswith("VmRSS:")).split()[1])
        assert rss < 60_000, f"RSS {rss} KiB after the flood"
        assert hub.request("GET", "/healthz")[0] == 200
        s.close()
    finally:
        hub.stop()


def test_a_credentials_reads_are_rate_limited_and_others_are_not(tmp_path):
    """Reads of the records database or of every session cost the hub: per credential at
    most --read-burst at once, then --read-rate (429 with Retry-After); another credential
    and the beacons are not held by it."""
    hub = Hub(str(tmp_path), "--read-rate", "2/s", "--read-burst", "5")
    try:
        seller = {"Authorization": "Bearer " + hub.token("seller", "greedy")}
        codes = [hub.request("GET", "/api/payments/stats", headers=seller)[0] for _ in range(12)]
        assert codes[:5] == [200] * 5 and 429 in codes, codes
        status, body, headers = hub.request("GET", "/api/alerts", headers=seller)
        assert status == 429 and body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) >= 1
        other = {"Authorization": "Bearer " + hub.token("seller", "patient")}
        assert hub.request("GET", "/api/payments/stats", headers=other)[0] == 200
        assert hub.request("POST", "/api/metrics/session/start", {"session_id": "r-1"})[0] == 200
        metrics = urllib.request.urlopen(hub.base + "/metrics").read().decode()
        assert any(line.startswith('livehub_rate_limited_total{kind="read"}') and float(line.split()[-1]) >= 1 for line in metrics.splitlines())
        time.sleep(1.1)
        assert hub.request("GET", "/api/payments/stats", headers=seller)[0] == 200, "the bucket refills"
    finally:
        hub.stop()


def test_slow_readers_at_the_connection_limit_do_not_keep_out_health_checks_or_ledger_writes(tmp_path):
    """slowhttptest -X (Debian's): 200 slow-reading connections at 50 a second against a hub
    allowed 60, while /healthz and a ledger write are tried every 100 ms on new
    connections: at the limit, the connection quiet the longest makes way, so none fails."""
    import shutil
    import subprocess
    import threading
    assert shutil.which("slowhttptest"), "scripts/setup-test-env installs slowhttptest"
    hub = Hub(str(tmp_path), "--loops", "1", "--max-connections", "60")
    failures, probes = [], []
    stop = threading.Event()

    def probe():
        i = 0
        while not stop.is_set():
            for method, path, body in (("GET", "/healthz", None),
                                       ("POST", "/api/wallet/transactions", {"user_id": "p", "amount": "1.00", "type": "credit",
                                                                             "description": "probe", "reference": f"probe-{i}"})):
                started = time.time()
                try:
                    status = hub.request(method, path, body, KEY if body else None)[0]
                    if status not in (200, 201) or time.time() - started > 2:
                        failures.append((path, status, round(time.time() - started, 2)))
                except Exception as e:  # a refused or reset connection is a failure too
                    failures.append((path, repr(e)))
                probes.append(path)
            i += 1
            time.sleep(0.1)

    attack = subprocess.Popen(["slowhttptest", "-X", "-c", "200", "-r", "50", "-l", "15", "-w", "10", "-y", "20", "-n", "5",
                               "-z", "32", "-k", "3", "-u", f"http://127.0.0.1:{hub.port}/tracker.js", "-p", "3"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prober = threading.Thread(target=probe)
    try:
        time.sleep(2)  # the attack has filled the hub's connections
        prober.start()
        time.sleep(10)
    finally:
        stop.set()
        if prober.is_alive() or prober.ident:
            prober.join()
        attack.kill()
        attack.wait()
        metrics = urllib.request.urlopen(hub.base + "/metrics").read().decode()
        hub.stop()
    shed = [float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("livehub_connections_shed_total")]
    assert len(probes) > 100 and failures == [], failures[:10]
    assert shed and shed[0] > 0, "the attack did reach the limit"
