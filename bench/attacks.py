"""The attacks of issue 9, each against a fresh hub: what an anonymous client can make it
hold (RSS, data dir) and how long /healthz waits meanwhile.

usage: attacks.py LIVEHUB_BINARY [ATTACK ...]   (default: all)
attacks: sessions, fields, keys, pipelined, pingflood, idle

The hub runs on CPU 1 with one loop and --snapshot-interval 5s; the attackers and the
/healthz probe (every 20 ms) on CPU 0. Prints one line per attack."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, binary):
        self.data = tempfile.mkdtemp(prefix="livehub-attack-")
        self.port = free_port()
        self.proc = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--port", str(self.port), "--loops", "1",
                                      "--data-dir", self.data, "--secret", "bench", "--snapshot-interval", "5s",
                                      "--max-body-size", "2MiB", "--test-endpoints"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                time.sleep(0.1)
        self.rss_start = self.rss()
        self.worst = 0.0
        self.failed_probes = 0
        self.probing = True
        self.prober = threading.Thread(target=self.probe, daemon=True)
        self.prober.start()

    def rss(self):
        return int(next(l for l in open(f"/proc/{self.proc.pid}/status") if l.startswith("VmRSS:")).split()[1]) // 1024

    def data_mb(self):
        return sum(os.path.getsize(os.path.join(self.data, f)) for f in os.listdir(self.data)) / (1 << 20)

    def probe(self):
        while self.probing:
            t = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=15) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                    got = b""
                    while b'"ok"}' not in got:
                        chunk = s.recv(4096)
                        if not chunk:
                            raise OSError("closed")
                        got += chunk
                self.worst = max(self.worst, time.perf_counter() - t)
            except OSError:
                self.failed_probes += 1
                self.worst = max(self.worst, time.perf_counter() - t)
            time.sleep(0.02)

    def stop(self):
        self.probing = False
        self.prober.join()
        started = time.time()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        stop_s = time.time() - started
        shutil.rmtree(self.data, ignore_errors=True)
        return stop_s


def pipelined(port, requests, read=True, source="127.0.0.1"):
    """Sends the requests on one connection; counts the status codes if read."""
    s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    payload = b"".join(requests)
    statuses = {}
    if not read:
        s.setblocking(False)
        sent = 0
        deadline = time.time() + 20
        while sent < len(payload) and time.time() < deadline:
            try:
                sent += s.send(payload[sent:sent + (1 << 20)])
            except BlockingIOError:
                time.sleep(0.01)
            except ConnectionResetError:
                return None, sent  # the hub closed it
        return s, sent
    threading.Thread(target=s.sendall, args=(payload,), daemon=True).start()
    buffer = b""
    seen = 0
    s.settimeout(60)
    while seen < len(requests):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buffer += chunk
        while True:
            i = buffer.find(b"HTTP/1.1 ")
            if i < 0 or len(buffer) < i + 12:
                break
            code = buffer[i + 9:i + 12].decode()
            statuses[code] = statuses.get(code, 0) + 1
            seen += 1
            buffer = buffer[i + 12:]
    s.close()
    return statuses


def post(path, body):
    data = json.dumps(body).encode()
    return (b"POST %s HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), len(data), data))


def attack_sessions(hub):
    reqs = [post("/api/metrics/session/start", {"session_id": f"a{i}"}) for i in range(500_000)]
    return f"answers={pipelined(hub.port, reqs)}"


def attack_fields(hub):
    big = "x" * (1 << 20)
    reqs = [post("/api/metrics/track/checkout-start", {"session_id": f"c{i}", "checkout_items": [big], "total_amount": "1"}) for i in range(400)]
    reqs += [post("/api/metrics/track/payment-error", {"session_id": f"e{i}", "error_code": "x", "error_message": "m",
                                                        "error_details": {"d": big}}) for i in range(200)]
    answers = pipelined(hub.port, reqs)
    time.sleep(6)  # a snapshot
    return f"answers={answers}"


def attack_keys(hub):
    reqs = []
    for i in range(10_000):
        reqs.append(post("/api/metrics/track/page-visit", {"session_id": f"p{i}", "page_type": f"type-{i}"}))
        reqs.append(post("/api/metrics/track/page-visit", {"session_id": f"c{i}", "page_type": "category", "page_identifier": f"cat-{i}"}))
        reqs.append(post("/api/metrics/track/page-visit", {"session_id": f"o{i}", "page_type": "offer", "page_identifier": f"offer-{i}"}))
    # Spread over 30 addresses (as many shoppers would be), so the per-address rate limit
    # is not what stops it: the bound on distinct keys is what this measures.
    answers = {}
    for n in range(30):
        for code, count in pipelined(hub.port, reqs[n * 1000:(n + 1) * 1000], source=f"127.0.6.{n + 1}").items():
            answers[code] = answers.get(code, 0) + count
    token = subprocess.run([sys.argv[1], "token", "--scope", "seller", "--secret", "bench"], capture_output=True, text=True).stdout.strip()
    with socket.create_connection(("127.0.0.1", hub.port)) as s:
        s.sendall(f"GET /api/metrics/live-metrics?token={token} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".encode())
        got = b""
        while chunk := s.recv(1 << 20):
            got += chunk
    body = got.split(b"\r\n\r\n", 1)[1]
    return f"answers={answers} live_metrics_bytes={len(body)}"


def attack_pipelined(hub):
    reqs = [b"GET /dashboard.js HTTP/1.1\r\nHost: h\r\n\r\n"] * 300_000
    s, sent = pipelined(hub.port, reqs, read=False)
    time.sleep(2)
    result = f"sent_mb={sent / (1 << 20):.1f} {'closed_by_hub' if s is None else 'still_open'}"
    hub.held = s
    return result


def attack_pingflood(hub):
    s = socket.create_connection(("127.0.0.1", hub.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /ws/track HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    mask = b"\x01\x02\x03\x04"
    ping = bytes([0x89, 0x80 | 125]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(b"p" * 125))
    flood = ping * 4000
    s.setblocking(False)
    sent, deadline = 0, time.time() + 20
    while sent < 65_000_000 and time.time() < deadline:
        try:
            sent += s.send(flood)
        except BlockingIOError:
            time.sleep(0.01)
    time.sleep(1)
    hub.held = s
    return f"sent_mb={sent / (1 << 20):.0f}"


IDLE_WORKER = """
import socket, sys, time
socks = []
for i in range(int(sys.argv[2])):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=(sys.argv[3], 0), timeout=5))
    except OSError:
        pass
print(len(socks), flush=True)
time.sleep(float(sys.argv[4]))
"""


def attack_idle(hub):
    workers = [subprocess.Popen([sys.executable, "-c", IDLE_WORKER, str(hub.port), "10100", f"127.0.5.{i + 1}", "25"],
                                stdout=subprocess.PIPE, text=True) for i in range(2)]
    opened = sum(int(w.stdout.readline() or 0) for w in workers)
    time.sleep(1)
    # What matters: does a real request get through while the idle ones hold their sockets?
    t = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            ok = b'"ok"' in s.recv(4096)
    except OSError:
        ok = False
    took = time.perf_counter() - t
    for w in workers:
        w.kill()
    return f"idle_opened={opened} healthz_during={'ok' if ok else 'FAILED'} in {took * 1000:.0f} ms"


ATTACKS = {"sessions": attack_sessions, "fields": attack_fields, "keys": attack_keys,
           "pipelined": attack_pipelined, "pingflood": attack_pingflood, "idle": attack_idle}


def main():
    binary = sys.argv[1]
    for name in sys.argv[2:] or list(ATTACKS):
        hub = Hub(binary)
        started = time.time()
        try:
            result = ATTACKS[name](hub)
        except Exception as e:  # the attack's own failure is a result too
            result = f"attack error: {e!r}"
        rss = hub.rss()
        data = hub.data_mb()
        worst, failed = hub.worst, hub.failed_probes
        stop_s = hub.stop()
        print(f"{name}: {result} seconds={time.time() - started:.1f} rss_mb={hub.rss_start}->{rss} data_dir_mb={data:.1f} "
              f"healthz_worst_ms={worst * 1000:.0f} healthz_failed={failed} sigterm_s={stop_s:.1f}", flush=True)


if __name__ == "__main__":
    main()
