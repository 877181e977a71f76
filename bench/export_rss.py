"""An export of many rows streams with flat memory: the hub's RSS before, at most during and
after `GET /api/export/ledger` of --rows ledger rows, streamed to /dev/null, and rows/s.

usage: bench/export_rss.py [BINARY] [--rows 1000000] [--format ndjson|csv] [--slow]

The rows are written straight into the SQLite file with Python's sqlite3 before the hub
starts (the hub makes and migrates the database first, is stopped, then started on it):
through the API they would take minutes, and the export reads the table whoever wrote it.
The export is read by curl into /dev/null while the hub's VmRSS (/proc/PID/status) is
sampled every 100 ms. --slow: curl reads at 2 MB/s (`--limit-rate`) for 20 s instead, the
client that cannot keep up.
BINARY: a release build (default $LIVEHUB_BIN, or one built now)."""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from release_binary import release_binary  # noqa: E402
from snapshot_stall import free_port  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def start_hub(binary, data_dir, port):
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data_dir, "--secret", "bench", "--api-key", "bench-key"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("demo store:"):
            break
    else:
        raise RuntimeError("the hub did not start")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc


def fill(path, rows):
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    db.executemany("""INSERT INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
                      created_at, balance_after_minor, user_seq) VALUES (?, ?, ?, 'credit', ?, NULL, ?, NULL, ?, ?, ?)""",
                   ((g, f"user-{g % 1000}", 100 + g % 9000, f"top up {g}, card", f"ref-{g}", iso(START + timedelta(milliseconds=g)),
                     100 * g, g // 1000 + 1) for g in range(1, rows + 1)))
    db.commit()
    db.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", default="ndjson", choices=["ndjson", "csv"])
    parser.add_argument("--slow", action="store_true")
    args = parser.parse_args()
    binary = args.binary or release_binary()
    data_dir = tempfile.mkdtemp(prefix="livehub-export-rss-")
    try:
        port = free_port()
        hub = start_hub(binary, data_dir, port)
        hub.terminate()
        hub.wait(timeout=15)
        began = time.monotonic()
        fill(os.path.join(data_dir, "livehub.db"), args.rows)
        print(f"{args.rows:,} ledger rows written into livehub.db in {time.monotonic() - began:.1f} s")
        hub = start_hub(binary, data_dir, port)
        time.sleep(1)
        before = rss_kib(hub.pid)
        url = (f"http://127.0.0.1:{port}/api/export/ledger?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&format={args.format}")
        curl = ["curl", "-sS", "-f", "-o", "/dev/null", "-w", "%{size_download} %{http_code}", "-H", "Authorization: Bearer bench-key", url]
        if args.slow:
            curl[1:1] = ["--limit-rate", "2M", "--max-time", "20"]
        samples = []
        began = time.monotonic()
        client = subprocess.Popen(curl, stdout=subprocess.PIPE, text=True)
        while client.poll() is None:
            samples.append(rss_kib(hub.pid))
            time.sleep(0.1)
        seconds = time.monotonic() - began
        size, status = client.stdout.read().split()
        time.sleep(1)
        after = rss_kib(hub.pid)
        print(f"export: HTTP {status}, {int(size) / 1e6:,.1f} MB {args.format} in {seconds:.2f} s"
              + ("" if args.slow else f": {args.rows / seconds:,.0f} rows/s, {int(size) / 1e6 / seconds:,.1f} MB/s"))
        print(f"hub RSS: before {before / 1024:.1f} MiB, max during {max(samples, default=before) / 1024:.1f} MiB "
              f"({len(samples)} samples every 100 ms), after {after / 1024:.1f} MiB")
        hub.terminate()
        hub.wait(timeout=15)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
