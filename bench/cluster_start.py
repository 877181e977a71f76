"""How long a node that comes back to a cluster stalls while it lets go of the sessions the
other nodes took while it was away (the cluster link reads every claim, 50,000 a query,
and the hub releases them on its loop).

usage: bench/cluster_start.py [--sessions 200000] [--claims 1000000] [--seconds 6] [--runs 2]

A throwaway PostgreSQL (Debian's, as the tests start it) and one node (`--loops 1`, pinned
to CPU 1, so its one loop is the hub's and /healthz waits for every hub turn) filled with
--sessions sessions, stopped (its snapshot holds them). Then, from that same snapshot,
twice each, alternately:
  peer     the node starts again with no claim by any other node
  claims   another node has claimed half of its sessions, plus enough others to make
           --claims rows in session_claims
Each start: when the port answers, /healthz is probed every 10 ms over one keep-alive
connection for --seconds; printed: the time to the first answer, the longest and p99
answer times, and (claims) when the node's live sessions fell to half.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
from pgcluster import Cluster  # noqa: E402
from release_binary import release_binary  # noqa: E402
from snapshot_stall import fill, free_port, probe  # noqa: E402

release_binary()


def start(data, port, url):
    return subprocess.Popen(["taskset", "-c", "1", os.environ["LIVEHUB_BIN"], "serve", "--port", str(port), "--loops", "1",
                             "--data-dir", data, "--database", url, "--node-id", "bench-a", "--secret", "bench",
                             "--beacon-rate", "1000000/s", "--beacon-burst", "1000000", "--max-sessions", "2000000",
                             "--idle-timeout", "1h"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def live_sessions(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("livehub_sessions_live "):
                return int(float(line.split()[1]))
    return -1


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", url, "-c", sql], check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=200_000)
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--runs", type=int, default=2)
    a = ap.parse_args()
    pg = Cluster()
    saved = tempfile.mkdtemp(prefix="livehub-bench-claims-")
    data = tempfile.mkdtemp(prefix="livehub-bench-claims-")
    try:
        pg.run("createdb", "-h", pg.dir, "-p", str(pg.port), "-U", "postgres", "livehub")
        url = pg.url("livehub")
        port = free_port()
        node = start(saved, port, url)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        fill(port, a.sessions)
        time.sleep(2)  # its claims written
        node.terminate()
        node.wait(timeout=120)
        half = a.sessions // 2
        for run in range(a.runs):
            for case in ["peer", "claims"]:
                shutil.rmtree(data)
                shutil.copytree(saved, data)
                psql(url, "DELETE FROM session_claims WHERE node_id <> 'bench-a'")
                if case == "claims":
                    psql(url, f"""
                        INSERT INTO session_claims (session_id, node_id, claimed_at, seq)
                        SELECT CASE WHEN g < {half} THEN 'snap-' || g ELSE 'elsewhere-' || g END, 'bench-b', clock_timestamp(),
                               nextval('session_claims_seq')
                        FROM generate_series(0, {max(a.claims, half) - 1}) AS g
                        ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, seq = excluded.seq""")
                launched = time.perf_counter()
                node = start(data, port, url)
                try:
                    while True:
                        try:
                            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                            break
                        except OSError:
                            time.sleep(0.01)
                    answering = time.perf_counter() - launched
                    times = probe(port, a.seconds)
                    released = ""
                    if case == "claims":
                        deadline = time.perf_counter() + 60
                        while live_sessions(port) > a.sessions - half and time.perf_counter() < deadline:
                            time.sleep(0.05)
                        released = f" released_by_s={time.perf_counter() - launched:.2f} live={live_sessions(port)}"
                    p99 = times[int(len(times) * 0.99)]
                    print(f"run={run + 1} {case} sessions={a.sessions} claims={a.claims if case == 'claims' else 0} "
                          f"answering_after_s={answering:.2f} healthz_max_ms={times[-1] * 1000:.1f} p99_ms={p99 * 1000:.1f}{released}",
                          flush=True)
                finally:
                    node.terminate()
                    node.wait(timeout=120)
    finally:
        shutil.rmtree(saved, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        pg.run("pg_ctl", "-D", f"{pg.dir}/data", "-m", "immediate", "stop")
        shutil.rmtree(pg.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
