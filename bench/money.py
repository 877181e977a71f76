"""Money benchmarks against a running hub (started with --api-key bench --secret bench).

usage: money.py PORT ledger [--connections 8] [--writes 40000]
       money.py PORT balance [--users 10000] [--writes 100000] [--connections 4]
ledger:  ledger writes/s over HTTP keep-alive (pipelined, one unique reference each),
         measured until every 201 is back; run the hub with --fsync batch and --fsync always.
balance: 10,000 /ws/balance sockets, one user each; ledger writes round-robin over the users;
         pushes/s = balance_update frames received by the sockets / time until the last one.
Raw sockets and prepared requests: the run measures the hub, not Python."""
import argparse
import base64
import hashlib
import hmac
import json
import selectors
import socket
import threading
import time

API_KEY = "bench"
SECRET = b"bench"


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def ledger_requests(start, count, users, batch=200):
    batches = []
    for i in range(start, start + count, batch):
        out = bytearray()
        n = min(batch, start + count - i)
        for k in range(i, i + n):
            body = json.dumps({"user_id": f"user{k % users}", "amount": "1.25", "type": "credit" if k % 4 else "debit",
                               "description": "bench", "reference": f"bench-{k}"}).encode()
            out += (b"POST /api/wallet/transactions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer " + API_KEY.encode()
                    + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        batches.append((n, bytes(out)))
    return batches


def ledger_worker(port, batches, errors):
    s = connect(port)
    for n, out in batches:
        s.sendall(out)
        buf = b""
        while buf.count(b"HTTP/1.1 ") < n:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("closed")
            buf += chunk
        errors.append(n - buf.count(b"HTTP/1.1 201"))
    s.close()


def run_writes(port, connections, writes, users, start=0):
    per = writes // connections
    errors = []
    work = [ledger_requests(start + c * per, per, users) for c in range(connections)]
    threads = [threading.Thread(target=ledger_worker, args=(port, w, errors)) for w in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    assert sum(errors) == 0, f"{sum(errors)} writes not answered 201"
    return per * connections, elapsed


def token(user):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")
    head = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps({"sub": user, "scope": "balance", "exp": int(time.time()) + 3600}).encode())
    return (head + b"." + b64(hmac.new(SECRET, head, hashlib.sha256).digest())).decode()


def open_balance_sockets(port, users):
    sockets = []
    for u in range(users):
        s = connect(port)
        s.sendall(f"GET /ws/balance?token={token(f'user{u}')} HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        sockets.append(s)
    for s in sockets:
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += s.recv(4096)
        assert resp.startswith(b"HTTP/1.1 101"), resp[:200]
        s.setblocking(False)
    return sockets


def count_frames(sockets, expected, result):
    """Counts server frames (unmasked) on every socket until `expected` have arrived."""
    sel = selectors.DefaultSelector()
    pending = {}
    for s in sockets:
        sel.register(s, selectors.EVENT_READ)
        pending[s] = b""
    frames = 0
    while frames < expected:
        for key, _ in sel.select(timeout=10):
            s = key.fileobj
            buf = pending[s] + s.recv(1 << 16)
            while len(buf) >= 2:
                n = buf[1] & 0x7F
                head = 2
                if n == 126:
                    if len(buf) < 4:
                        break
                    n, head = int.from_bytes(buf[2:4], "big"), 4
                elif n == 127:
                    if len(buf) < 10:
                        break
                    n, head = int.from_bytes(buf[2:10], "big"), 10
                if len(buf) < head + n:
                    break
                frames += 1
                buf = buf[head + n:]
            pending[s] = buf
    result.append(time.perf_counter())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("kind", choices=["ledger", "balance"])
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--writes", type=int, default=40000)
    ap.add_argument("--users", type=int, default=10000)
    a = ap.parse_args()
    if a.kind == "ledger":
        n, elapsed = run_writes(a.port, a.connections, a.writes, a.users)
        print(f"ledger connections={a.connections} writes={n} seconds={elapsed:.3f} writes_per_s={n / elapsed:.0f}")
    else:
        sockets = open_balance_sockets(a.port, a.users)
        time.sleep(1)  # every replay request answered
        done = []
        writes = a.writes // a.connections * a.connections
        counter = threading.Thread(target=count_frames, args=(sockets, writes, done))
        counter.start()
        t0 = time.perf_counter()
        run_writes(a.port, a.connections, writes, a.users, start=10_000_000)
        counter.join()
        elapsed = done[0] - t0
        print(f"balance users={a.users} pushes={writes} seconds={elapsed:.3f} pushes_per_s={writes / elapsed:.0f}")
