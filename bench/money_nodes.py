"""Ledger writes/s on one PostgreSQL with N hub nodes written at once, against one node alone.

usage: python3 bench/money_nodes.py --bin PATH [--bin PATH2] [--nodes 1 3] [--runs 3] [--writes 30000]
                                    [--connections 8] [--users 10000] [--hub-args "ARGS"]

For every binary and node count, each run starts a fresh cluster (scripts/cluster up with
LIVEHUB_BIN=PATH: a new directory, so a new PostgreSQL database, N hubs started with
`--api-key bench`, and nginx, which is not used), then writes to every node at the same time,
straight to its port: each node gets its own CONNECTIONS keep-alive connections sending
pipelined `POST /api/wallet/transactions` in batches of 200 (as bench/money.py ledger does),
WRITES per node, over USERS users of its own (user ids and references prefixed by the node,
so no two nodes share a wallet or a reference). The clock starts once every connection is
open and every request prepared, and stops when the last answer is back. An answer other
than 201, or one that never came (closed connection, 60 s without a byte), is an error.

Printed: the command, one line per run (total writes/s, errors, each node's own writes/s),
then per binary and node count the runs and their median, and the ratio N nodes / 1 node;
with two binaries, the ratio second / first. With two binaries the order of the builds is
swapped every round, so both see the machine's load alike: compare ratios, not absolutes.
Every process shares this machine's cores (PostgreSQL, the hubs, this client)."""
import argparse
import os
import random
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
API_KEY = "bench"
BATCH = 200
STATUS = re.compile(rb"HTTP/1\.1 (\d{3}) ")


def free_block(size):
    """A port with the `size` ports after it free too (nginx, then the nodes)."""
    for _ in range(200):
        base = random.randint(20000, 60000)
        try:
            for port in range(base, base + size):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free block of ports")


def cluster_up(binary, nodes, hub_args):
    folder = tempfile.mkdtemp(prefix="livehub-bench-nodes-")
    port = free_block(nodes + 1)
    env = dict(os.environ, LIVEHUB_BIN=binary)
    done = subprocess.run([f"{ROOT}/scripts/cluster", "up", "--dir", folder, "--port", str(port), "--nodes", str(nodes),
                           "--", "--api-key", API_KEY, *hub_args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        cluster_down(folder)
        sys.exit(f"scripts/cluster up failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return folder, [port + k for k in range(1, nodes + 1)]


def cluster_down(folder):
    subprocess.run([f"{ROOT}/scripts/cluster", "down", "--dir", folder], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def requests(node, start, count, users):
    """Batches of pipelined requests: (count, bytes). Node k writes users nK-uJ, references nK-I."""
    batches = []
    for i in range(start, start + count, BATCH):
        out = bytearray()
        n = min(BATCH, start + count - i)
        for k in range(i, i + n):
            body = (b'{"user_id":"n%d-u%d","amount":"1.25","type":"%s","description":"bench","reference":"n%d-%d"}'
                    % (node, k % users, b"credit" if k % 4 else b"debit", node, k))
            out += (b"POST /api/wallet/transactions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer " + API_KEY.encode()
                    + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        batches.append((n, bytes(out)))
    return batches


def worker(sock, batches, start_gate, result):
    """Sends each batch, reads its answers; result: [answers 201, other answers, missing, end time]."""
    ok = other = missing = 0
    start_gate.wait()

    def count(buf):
        nonlocal ok, other
        codes = STATUS.findall(buf)
        ok += codes.count(b"201")
        other += len(codes) - codes.count(b"201")
        if other and not result[4]:
            result[4] = next(c for c in codes if c != b"201").decode()
    buf = b""
    try:
        for n, out in batches:
            sock.sendall(out)
            while buf.count(b"HTTP/1.1 ") < n:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            count(buf)
            buf = b""
    except (OSError, ConnectionError) as error:
        # What this batch got counts; its other answers and every later batch never came.
        count(buf)
        missing = sum(n for n, _ in batches) - ok - other
        result[4] = result[4] or type(error).__name__
    result[:4] = [ok, other, missing, time.perf_counter()]
    sock.close()


def measure(ports, writes, connections, users):
    """Every node written at once; returns (total writes, seconds, errors, [(node writes/s)], first error)."""
    per = writes // connections
    jobs = []
    for node, port in enumerate(ports, 1):
        for c in range(connections):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(60)
            jobs.append((node, sock, requests(node, c * per, per, users), [0, 0, 0, 0.0, ""]))
    gate = threading.Barrier(len(jobs) + 1)
    threads = [threading.Thread(target=worker, args=(sock, batches, gate, result)) for _, sock, batches, result in jobs]
    for t in threads:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = max(r[3] for *_, r in jobs) - t0
    total = per * connections * len(ports)
    errors = sum(r[1] + r[2] for *_, r in jobs)
    per_node = []
    for node in range(1, len(ports) + 1):
        mine = [r for n, _, _, r in jobs if n == node]
        per_node.append(sum(r[0] for r in mine) / (max(r[3] for r in mine) - t0))
    first = next((r[4] for *_, r in jobs if r[4]), "")
    return total, elapsed, errors, per_node, first


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", action="append", nargs="+", required=True, help="livehub binary (twice, or two paths, to compare)")
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--writes", type=int, default=30000, help="ledger writes per node")
    ap.add_argument("--connections", type=int, default=8, help="pipelined connections per node")
    ap.add_argument("--users", type=int, default=10000, help="users per node")
    ap.add_argument("--hub-args", default="", help="more flags for every hub, one string")
    a = ap.parse_args()
    bins = [os.path.abspath(b) for group in a.bin for b in group]
    for b in bins:
        if not os.access(b, os.X_OK):
            sys.exit(f"--bin {b}: not an executable")
    hub_args = shlex.split(a.hub_args)
    labels = {b: chr(ord("A") + i) for i, b in enumerate(bins)}
    print("command:", " ".join(shlex.quote(x) for x in [sys.executable, *sys.argv]))
    for b in bins:
        print(f"bin {labels[b]}: {b}")
    sys.stdout.flush()
    figures = {(b, n): [] for b in bins for n in a.nodes}
    for run in range(1, a.runs + 1):
        order = bins if run % 2 else bins[::-1]
        for nodes in a.nodes:
            for b in order:
                folder, ports = cluster_up(b, nodes, hub_args)
                try:
                    time.sleep(1)  # every node listening to the others, its start-up work done
                    total, elapsed, errors, per_node, first = measure(ports, a.writes, a.connections, a.users)
                finally:
                    cluster_down(folder)
                rate = total / elapsed
                figures[(b, nodes)].append(rate)
                print(f"run={run} bin={labels[b]} nodes={nodes} writes={total} seconds={elapsed:.3f} writes_per_s={rate:.0f}"
                      f" errors={errors}{' (first: ' + first + ')' if errors else ''}"
                      f" per_node_writes_per_s={'/'.join(f'{r:.0f}' for r in per_node)}", flush=True)
    print()
    print("| bin | nodes | writes/s per run (total) | median | vs 1 node |" + (" vs bin A |" if len(bins) > 1 else ""))
    print("| --- | ---: | --- | ---: | ---: |" + (" ---: |" if len(bins) > 1 else ""))
    for b in bins:
        for nodes in a.nodes:
            median = statistics.median(figures[(b, nodes)])
            one = statistics.median(figures[(b, 1)]) if 1 in a.nodes else None
            base = statistics.median(figures[(bins[0], nodes)])
            print(f"| {labels[b]} | {nodes} | {' / '.join(f'{r:,.0f}' for r in figures[(b, nodes)])} | {median:,.0f} | "
                  f"{f'{median / one:.2f}' if one else '-'} |" + (f" {median / base:.2f} |" if len(bins) > 1 else ""))


if __name__ == "__main__":
    main()
