"""How long the hub stops answering while it snapshots a large session table.

usage: snapshot_stall.py LIVEHUB_BINARY [--sessions 1000000] [--seconds 20] [hub flags…]

Starts the hub (one loop, pinned to CPU 1, --snapshot-interval 3s, limits raised so one
client may fill it), fills the table with pipelined session/start beacons from raw
sockets, then probes /healthz every 10 ms over one keep-alive connection for --seconds
(several snapshots) and prints the longest and p99 answer times, the RSS and the data
dir's size."""
import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(port, sessions, connections=8, batch=500):
    def requests(start, count):
        out = []
        for i in range(start, start + count):
            body = ('{"session_id":"snap-%d","user_id":"u%d"}' % (i, i % 1000)).encode()
            out.append(b"POST /api/metrics/session/start HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return b"".join(out)

    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    done = 0
    while done < sessions:
        count = min(batch, sessions - done)
        s = socks[(done // batch) % connections]
        s.sendall(requests(done, count))
        seen = 0
        buffer = b""
        while seen < count:
            buffer += s.recv(1 << 20)
            seen = buffer.count(b"HTTP/1.1 ")
        done += count
    for s in socks:
        s.close()


def probe(port, seconds):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    end = time.time() + seconds
    while time.time() < end:
        t = time.perf_counter()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
        buffer = b""
        while b'"ok"}' not in buffer:
            buffer += s.recv(65536)
        times.append(time.perf_counter() - t)
        time.sleep(0.01)
    s.close()
    return sorted(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    args, extra = parser.parse_known_args()
    data = tempfile.mkdtemp(prefix="livehub-snapstall-")
    port = free_port()
    hub = subprocess.Popen(["taskset", "-c", "1", args.binary, "serve", "--port", str(port), "--loops", "1", "--data-dir", data,
                            "--secret", "bench", "--snapshot-interval", "3s", *extra],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.1)
        started = time.time()
        fill(port, args.sessions)
        print(f"filled {args.sessions} sessions in {time.time() - started:.1f} s")
        times = probe(port, args.seconds)
        rss = int(next(l for l in open(f"/proc/{hub.pid}/status") if l.startswith("VmRSS:")).split()[1]) // 1024
        size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)) // (1 << 20)
        p99 = times[int(len(times) * 0.99)]
        print(f"healthz probes={len(times)} max_ms={times[-1] * 1000:.1f} p99_ms={p99 * 1000:.1f} "
              f"median_ms={times[len(times) // 2] * 1000:.2f} rss_mb={rss} data_dir_mb={size}")
    finally:
        hub.terminate()
        hub.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
