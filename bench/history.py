"""What money history costs the hub: a ledger of N transactions over U users.

usage: history.py LIVEHUB_BINARY [--transactions 1000000] [--users 10000] [--probe-seconds 30]
                  [--database postgres://…] [hub flags…]

Starts the hub (one loop, pinned to CPU 1, --snapshot-interval 10s, a fresh data dir) and
loads the ledger with pipelined writes from 8 raw sockets (writes/s while loading, each
answered 201 only once durable). Then: the RSS; /healthz probed every 10 ms over one
keep-alive connection for --probe-seconds while one write a second goes on (the longest
and p99 answer times, snapshots included); one user's newest 20 transactions
(GET /api/wallet/transactions?user_id=&limit=20, 200 times: median and p99); a restart
(SIGTERM, start again: seconds until /healthz answers) and the RSS after it. The same
API before and after the records database, so both builds run it alike."""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import money  # noqa: E402  (the pipelined ledger writer)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, port, data, extra):
    proc = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--port", str(port), "--data-dir", data, "--loops", "1",
                             "--api-key", "bench", "--secret", "bench", "--snapshot-interval", "10s", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t0 = time.perf_counter()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                if b"200 OK" in s.recv(4096):
                    return proc, time.perf_counter() - t0
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError("hub exited: " + proc.stdout.read())
        time.sleep(0.01)


def rss_mb(proc):
    # taskset execs the hub: the pid is the hub's.
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def request_times(port, path, count, interval, auth=True):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = f"GET {path} HTTP/1.1\r\nHost: h\r\n" + ("Authorization: Bearer bench\r\n" if auth else "") + "\r\n"
    times = []
    end = time.time() + count if interval else None
    n = 0
    while (end and time.time() < end) or (not end and n < count):
        t = time.perf_counter()
        s.sendall(head.encode())
        buf = b""
        while True:
            buf += s.recv(1 << 20)
            headers, _, body = buf.partition(b"\r\n\r\n")
            if _ and len(body) >= int(headers.split(b"Content-Length: ")[1].split(b"\r\n")[0]):
                break
        times.append(time.perf_counter() - t)
        n += 1
        if interval:
            time.sleep(interval)
    s.close()
    return sorted(times)


def trickle(port, stop):
    """One ledger write a second while the probe runs (the hub is not idle)."""
    i = 0
    while not stop.is_set():
        money.run_writes(port, 1, 1, 10_000, start=50_000_000 + i)
        i += 1
        stop.wait(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--transactions", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--probe-seconds", type=float, default=30)
    a, extra = ap.parse_known_args()
    data = tempfile.mkdtemp(prefix="livehub-history-")
    port = free_port()
    try:
        proc, _ = start(a.binary, port, data, extra)
        n, elapsed = money.run_writes(port, 8, a.transactions, a.users)
        print(f"loaded {n} transactions over {a.users} users: {n / elapsed:.0f} writes/s")
        time.sleep(11)  # a snapshot with the whole history (where the build keeps it there)
        print(f"rss {rss_mb(proc):.0f} MB")
        stop = threading.Event()
        writer = threading.Thread(target=trickle, args=(port, stop))
        writer.start()
        probes = request_times(port, "/healthz", a.probe_seconds, 0.01, auth=False)
        stop.set()
        writer.join()
        print(f"healthz while writing and snapshotting: max {probes[-1] * 1000:.1f} ms, p99 {probes[int(len(probes) * 0.99)] * 1000:.1f} ms ({len(probes)} probes)")
        newest = request_times(port, "/api/wallet/transactions?user_id=user4242&limit=20", 200, 0)
        print(f"newest 20 of one user: median {statistics.median(newest) * 1000:.2f} ms, p99 {newest[int(len(newest) * 0.99)] * 1000:.2f} ms")
        proc.terminate()
        proc.wait(timeout=60)
        proc, seconds = start(a.binary, port, data, extra)
        print(f"restart until /healthz: {seconds:.2f} s; rss after {rss_mb(proc):.0f} MB")
        sizes = {name: os.path.getsize(os.path.join(data, name)) for name in os.listdir(data) if os.path.isfile(os.path.join(data, name))}
        print("data dir: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items()) if v > 100_000))
        proc.terminate()
        proc.wait(timeout=60)
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
