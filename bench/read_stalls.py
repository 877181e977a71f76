"""Whether large reads stall the hub: the longest /healthz and beacon answers while many
readers ask for every session's funnel or one person's sessions, and the ledger write
latency while many readers ask for payment stats and the webhook log.

usage: bench/read_stalls.py BINARY [--sessions 1000000] [--payments 1000000] [--seconds 15]
                            [--part presence|money|ingest|both] [--one-credential]

presence: the hub (two loops, the machine's two cores) is filled with --sessions sessions
  (each with an email, a phone and a user id), then for --seconds: 30 threads ask
  GET /api/funnels and 10 ask GET /api/sessions?phone=… back to back, while /healthz and a
  heartbeat beacon are each sent every 10 ms over their own keep-alive connection and a
  seller socket counts its metrics updates (the longest gap between two).
money: the hub is given --payments payments (pipelined payment events), then for
  --seconds: 10 threads ask GET /api/payments/stats?window=24h and 10 GET
  /api/webhooks/log?limit=1000 back to back, while one connection writes a ledger entry
  every 10 ms and times each.
Each reader thread has a token of its own (the worst case: no read limit holds them),
or with --one-credential all share one (the per-credential read limits apply).
ingest: only the --payments pipelined payment events, per second (what the write path costs).
Printed: max and p99 of each probe, reads answered and refused (429/503)."""
import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from snapshot_stall import free_port  # noqa: E402


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def exchange(s, request, buffer=b""):
    """Sends one request and reads its whole answer (Content-Length); returns status, rest."""
    s.sendall(request)
    while b"\r\n\r\n" not in buffer:
        chunk = s.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(rest) < length:
        rest += s.recv(1 << 20)
    return int(head.split(b" ")[1]), rest[length:]


def pipelined(port, requests, connections=8, batch=500):
    socks = [connect(port) for _ in range(connections)]
    for start in range(0, len(requests), batch):
        s = socks[(start // batch) % connections]
        chunk = requests[start:start + batch]
        s.sendall(b"".join(chunk))
        seen, buffer = 0, b""
        while seen < len(chunk):
            buffer += s.recv(1 << 20)
            seen = buffer.count(b"HTTP/1.1 ")
    for s in socks:
        s.close()


def post(path, body, auth=None):
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n".encode()
            + (f"Authorization: Bearer {auth}\r\n".encode() if auth else b"")
            + b"Content-Length: %d\r\n\r\n" % len(data) + data)


def get(path, auth):
    return f"GET {path} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {auth}\r\n\r\n".encode()


def token(binary, scope, sub):
    return subprocess.run([binary, "token", "--scope", scope, "--sub", sub, "--secret", "bench"],
                          capture_output=True, text=True, check=True).stdout.strip()


def reader(port, requests, stop, counts):
    s = connect(port)
    i = 0
    while not stop.is_set():
        try:
            status, _ = exchange(s, requests[i % len(requests)])
        except (ConnectionError, OSError):
            s = connect(port)
            continue
        counts[status] = counts.get(status, 0) + 1
        i += 1


def prober(port, request, stop, times):
    s = connect(port)
    while not stop.is_set():
        started = time.perf_counter()
        exchange(s, request)
        times.append(time.perf_counter() - started)
        time.sleep(0.01)


def summary(name, times):
    times = sorted(times)
    if not times:
        return f"{name}: none"
    return f"{name}: n={len(times)} max_ms={times[-1] * 1000:.1f} p99_ms={times[int(len(times) * 0.99) - 1] * 1000:.1f}"


def reader_process(port, groups, seconds, out):
    """The readers, in a process of their own: the probes' times are the hub's, not the
    Python interpreter's lock shared with 40 busy threads."""
    stop = threading.Event()
    counts = [dict() for _ in groups]
    threads = [threading.Thread(target=reader, args=(port, requests, stop, counts[g]))
               for g, (n, requests) in enumerate(groups) for _ in range(n)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    out.put(counts)


def run_readers(port, groups, probes, seconds, extra=None):
    import multiprocessing
    out = multiprocessing.Queue()
    readers = multiprocessing.Process(target=reader_process, args=(port, groups, seconds, out))
    readers.start()
    stop = threading.Event()
    results = {name: [] for name, _ in probes}
    threads = [threading.Thread(target=prober, args=(port, request, stop, results[name])) for name, request in probes]
    for t in threads:
        t.start()
    if extra:
        extra(stop, seconds)
    else:
        time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    counts = out.get()
    readers.join()
    return counts, results


def presence(binary, port, args):
    people = 1000
    starts = [post("/api/metrics/session/start", {"session_id": f"s-{i}", "user_id": f"u{i % people}",
                                                  "email": f"p{i % people}@shop.test", "phone": f"+2547{i % people:08d}"})
              for i in range(args.sessions)]
    visits = [post("/api/metrics/track/page-visit", {"session_id": f"s-{i}", "page_type": "category", "page_identifier": "c"})
              for i in range(0, args.sessions, 3)]
    t = time.time()
    pipelined(port, starts)
    pipelined(port, visits)
    print(f"presence: {args.sessions} sessions in {time.time() - t:.1f} s", flush=True)
    sellers = [token(binary, "seller", "one" if args.one_credential else f"seller-{i}") for i in range(30)]
    admins = [token(binary, "admin", "one" if args.one_credential else f"admin-{i}") for i in range(10)]
    groups = [(1, [get("/api/funnels?window=24h", sellers[i])]) for i in range(30)]
    groups += [(1, [get(f"/api/sessions?phone=%2B2547{i:08d}", admins[i])]) for i in range(10)]
    probes = [("healthz", b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"),
              ("beacon", post("/api/metrics/heartbeat", {"session_id": "s-1"}))]
    gaps = []

    def seller_socket(stop, seconds):
        async def watch():
            import websockets
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/seller?token={sellers[0]}") as ws:
                last = time.perf_counter()
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 1))
                    except asyncio.TimeoutError:
                        continue
                    if message.get("type") == "metrics-update":
                        now = time.perf_counter()
                        gaps.append(now - last)
                        last = now

        waker = threading.Thread(target=lambda: (time.sleep(seconds), stop.set()))
        waker.start()
        asyncio.run(watch())
        waker.join()

    counts, results = run_readers(port, groups, probes, args.seconds, seller_socket)
    funnels = {k: sum(c.get(k, 0) for c in counts[:30]) for k in (200, 429, 503)}
    lookups = {k: sum(c.get(k, 0) for c in counts[30:]) for k in (200, 429, 503)}
    print(f"presence: funnels answered={funnels[200]} refused_429={funnels[429]} 503={funnels[503]}; "
          f"lookups answered={lookups[200]} refused_429={lookups[429]} 503={lookups[503]}")
    print(summary("presence healthz", results["healthz"]))
    print(summary("presence beacon", results["beacon"]))
    print(summary("presence seller update gap", gaps))


def money(binary, port, args):
    events = [post("/api/payments/events", {"reference": f"pay-{i}", "provider": "paystack", "stage": "initialized" if i % 3 else "completed",
                                            "amount": "10.00", "email": f"m{i % 5000}@shop.test"}, "bench")
              for i in range(args.payments)]
    junk = [post("/api/webhooks/paystack", {"event": "charge.success", "data": {"reference": f"j-{i}", "pad": "x" * 3000}})
            for i in range(3000)]
    t = time.time()
    pipelined(port, events)
    pipelined(port, junk, connections=1, batch=100)
    print(f"money: {args.payments} payments in {time.time() - t:.1f} s", flush=True)
    sellers = [token(binary, "seller", "one" if args.one_credential else f"m-seller-{i}") for i in range(20)]
    groups = [(1, [get("/api/payments/stats?window=24h", sellers[i])]) for i in range(10)]
    groups += [(1, [get("/api/webhooks/log?limit=1000", sellers[10 + i])]) for i in range(10)]
    counter = iter(range(10**9))
    ledger_times = []
    stop = threading.Event()

    def writes():
        s = connect(port)
        while not stop.is_set():
            k = next(counter)
            started = time.perf_counter()
            status, _ = exchange(s, post("/api/wallet/transactions", {"user_id": f"w{k % 100}", "amount": "1.00", "type": "credit",
                                                                       "description": "bench", "reference": f"rs-{k}"}, "bench"))
            assert status == 201, status
            ledger_times.append(time.perf_counter() - started)
            time.sleep(0.01)

    writer = threading.Thread(target=writes)
    writer.start()
    counts, results = run_readers(port, groups, [("healthz", b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")], args.seconds)
    stop.set()
    writer.join()
    stats = {k: sum(c.get(k, 0) for c in counts[:10]) for k in (200, 429, 503)}
    logs = {k: sum(c.get(k, 0) for c in counts[10:]) for k in (200, 429, 503)}
    print(f"money: stats answered={stats[200]} 429={stats[429]} 503={stats[503]}; webhook log answered={logs[200]} 429={logs[429]} 503={logs[503]}")
    print(summary("money ledger write", ledger_times))
    print(summary("money healthz", results["healthz"]))


def ingest(binary, port, args):
    """Payment event ingest alone: --payments pipelined events, per second."""
    events = [post("/api/payments/events", {"reference": f"pay-{i}", "provider": "paystack", "stage": "initialized" if i % 3 else "completed",
                                            "amount": "10.00", "email": f"m{i % 5000}@shop.test"}, "bench") for i in range(args.payments)]
    started = time.time()
    pipelined(port, events)
    print(f"ingest: {args.payments} payment events, {args.payments / (time.time() - started):.0f}/s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--part", default="both")
    parser.add_argument("--one-credential", action="store_true")
    args, extra = parser.parse_known_args()
    for part in (["presence", "money"] if args.part == "both" else [args.part]):
        data = tempfile.mkdtemp(prefix="livehub-readstall-")
        port = free_port()
        hub = subprocess.Popen([args.binary, "serve", "--port", str(port), "--data-dir", data, "--secret", "bench", "--api-key", "bench",
                                "--beacon-rate", "10000000/s", "--beacon-burst", "10000000", "--webhook-rate", "100000/s",
                                "--webhook-burst", "100000", "--max-sessions", "2000000", "--idle-timeout", "1h", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    connect(port).close()
                    break
                except OSError:
                    time.sleep(0.1)
            {"presence": presence, "money": money, "ingest": ingest}[part](args.binary, port, args)
        finally:
            hub.terminate()
            hub.wait(timeout=60)
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
