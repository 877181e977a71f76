"""Cluster mode on this machine (scripts/cluster: PostgreSQL, N hubs, nginx): what sharing
costs, not how it scales (every process shares the same 2 cores).

usage: bench/cluster.py [--nodes 1 3] [--seconds 10] [--samples 300]
For each cluster size, one line per measure:
  ingest        HTTP page-visit beacons through nginx (wrk, bench/beacons.lua), ?sid= on every URL
  balance       ledger write (POST, node A) -> balance_update on a socket on node A / node C
  presence      new session (beacon, node A) -> metrics-update showing it on node A / node C
"""
import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
from release_binary import release_binary  # noqa: E402
from test_cluster import free_block  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
release_binary()
KEY = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}


def up(nodes):
    folder = tempfile.mkdtemp(prefix="livehub-bench-cluster-")
    port = free_block(nodes + 1)
    subprocess.run([f"{ROOT}/scripts/cluster", "up", "--dir", folder, "--port", str(port), "--nodes", str(nodes), "--",
                    "--api-key", "bench-key", "--beacon-rate", "1000000/s", "--beacon-burst", "1000000"],
                   check=True, capture_output=True, text=True)
    return folder, port


def down(folder):
    subprocess.run([f"{ROOT}/scripts/cluster", "down", "--dir", folder], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def token(folder, scope, sub):
    secret = open(os.path.join(folder, "secret")).read().strip()
    return subprocess.run([os.environ["LIVEHUB_BIN"], "token", "--scope", scope, "--sub", sub, "--secret", secret],
                          capture_output=True, text=True, check=True).stdout.strip()


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST", headers=KEY)
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


def wrk(port, seconds):
    """Debian's wrk, 64 connections (nginx passes on one request at a time per client
    connection), beacons from bench/beacons.lua."""
    out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-s", os.path.join(os.path.dirname(__file__), "beacons.lua"),
                          f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True).stdout
    rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))
    failed = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return rate, failed


def percentiles(samples):
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def balance_delay(folder, writer_port, socket_port, samples, user):
    ws = await websockets.connect(f"ws://127.0.0.1:{socket_port}/ws/balance?token=" + token(folder, "balance", user))
    await ws.recv()
    delays = []
    for i in range(samples):
        started = time.perf_counter()
        writing = asyncio.create_task(asyncio.to_thread(post, writer_port, "/api/wallet/transactions",
                                                        {"user_id": user, "amount": "1.00", "type": "credit", "description": "", "reference": f"{user}-{i}"}))
        while json.loads(await ws.recv()).get("type") != "balance_update":
            pass
        delays.append((time.perf_counter() - started) * 1000)
        await writing
    await ws.close()
    return percentiles(delays)


async def presence_delay(folder, beacon_port, seller_port, samples, prefix):
    ws = await websockets.connect(f"ws://127.0.0.1:{seller_port}/ws/seller?token=" + token(folder, "seller", "bench"))
    total = None
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # the join's messages, and the current total
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            if message["type"] == "metrics-update":
                total = message["data"]["total_active"]
        except asyncio.TimeoutError:
            break
    delays = []
    for i in range(samples):
        started = time.perf_counter()
        await asyncio.to_thread(post, beacon_port, "/api/metrics/session/start", {"session_id": f"{prefix}{i}"})
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "metrics-update" and message["data"]["total_active"] > total:
                total = message["data"]["total_active"]
                break
        delays.append((time.perf_counter() - started) * 1000)
    await ws.close()
    return percentiles(delays)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--samples", type=int, default=300)
    a = ap.parse_args()
    # The peer: one hub on its embedded defaults (SQLite), no cluster, no nginx.
    folder = tempfile.mkdtemp(prefix="livehub-bench-single-")
    port = free_block(1)
    hub = subprocess.Popen([os.environ["LIVEHUB_BIN"], "serve", "--port", str(port), "--data-dir", folder,
                            "--beacon-rate", "1000000/s", "--beacon-burst", "1000000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        rate, failed = wrk(port, a.seconds)
        print(f"single hub (sqlite) ingest_http_direct events_per_s={rate:.0f} non_2xx={failed}")
    finally:
        hub.terminate()
        hub.wait()
        shutil.rmtree(folder, ignore_errors=True)
    for nodes in a.nodes:
        folder, port = up(nodes)
        try:
            time.sleep(1)
            rate, failed = wrk(port, a.seconds)
            print(f"cluster nodes={nodes} ingest_http_through_nginx events_per_s={rate:.0f} non_2xx={failed}")
            rate, failed = wrk(port + 1, a.seconds)
            print(f"cluster nodes={nodes} ingest_http_direct_to_node_1 events_per_s={rate:.0f} non_2xx={failed}")
            first, last = port + 1, port + nodes
            for name, (writer, socket_port) in {"same_node": (first, first), "other_node": (first, last)}.items():
                if nodes == 1 and name == "other_node":
                    continue
                p50, p99 = asyncio.run(balance_delay(folder, writer, socket_port, a.samples, f"bench-{name}"))
                print(f"cluster nodes={nodes} balance_push {name} p50_ms={p50:.1f} p99_ms={p99:.1f}")
                p50, p99 = asyncio.run(presence_delay(folder, writer, socket_port, min(a.samples, 40), f"p-{name}-"))
                print(f"cluster nodes={nodes} seller_update {name} p50_ms={p50:.1f} p99_ms={p99:.1f}")
        finally:
            down(folder)


if __name__ == "__main__":
    main()
