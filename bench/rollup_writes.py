"""The shop's day (issue 32): what one busy minute's rollups cost the money writer, on
SQLite (as the hub opens it: WAL, synchronous=FULL) and on a throwaway PostgreSQL (Debian's,
started as the e2e tests start it: tests/e2e/pgcluster.py, fsync on).

usage: bench/rollup_writes.py [--sessions 100000] [--runs 7] [--days 30] [--no-pg]

Builds bench/swift's rollup-bench (release) and runs it pinned to CPU 1 (the money writer's
one thread; PostgreSQL's backend on CPU 0). rollup-bench plays one minute of a busy shop
into a PresenceHub on a manual clock, takes its rollups (once for the minute, and every
10 s as the default --rollup-interval does) and times RecordsStore.addRollups for them,
each take in one transaction, on empty databases and on one holding --days days of rows.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from pgcluster import Cluster  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--no-pg", action="store_true")
    a = ap.parse_args()
    package = os.path.join(ROOT, "bench", "swift")
    subprocess.run(["swift", "build", "-c", "release", "--package-path", package, "--product", "rollup-bench"], check=True,
                   stdout=sys.stderr)
    binary = subprocess.run(["swift", "build", "-c", "release", "--package-path", package, "--show-bin-path"], check=True,
                            capture_output=True, text=True).stdout.strip() + "/rollup-bench"
    pg = None
    with tempfile.TemporaryDirectory(prefix="rollup-bench-", dir="/var/tmp") as work:
        args = ["taskset", "-c", "1", binary, "--sessions", str(a.sessions), "--runs", str(a.runs), "--days", str(a.days), "--dir", work]
        try:
            if not a.no_pg:
                pg = Cluster()
                subprocess.run(["taskset", "-pc", "0", open(f"{pg.dir}/data/postmaster.pid").readline().strip()], check=True,
                               capture_output=True)  # its backends inherit CPU 0
                args += ["--pg", pg.url("DBNAME")]
            subprocess.run(args, check=True)
        finally:
            if pg:
                pg.destroy()


if __name__ == "__main__":
    main()
