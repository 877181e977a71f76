"""Beacon ingest and ledger writes/s with the reconciler idle, then while a reconciliation
pass asks a slow provider about 10,000 payments in doubt (issue 29), alternating, in one run.

usage: LIVEHUB_BIN=.build/release/livehub python3 bench/reconcile_load.py [--rounds 2]
           [--payments 10000] [--delay 0.2] [--beacons 200000] [--writes 40000]
(without LIVEHUB_BIN, a release build is made first.)

The hub runs on a fresh data dir (SQLite, --fsync batch, --loops 1) pinned to CPU 1, with
--paystack-api-url pointing at tests/e2e/provider_fakes.py (--delay 0.2: every answer
200 ms late; it knows each payment as paid), reconciling at the fastest the flags allow
(--reconcile-after 40s, --reconcile-interval 1s, --reconcile-calls-per-minute 6000). This
client runs on CPU 0, and the fake there too as SCHED_IDLE (chrt --idle): a remote
provider costs this machine nothing, so the fake gets only what the client leaves idle.
Each round:
  1. the shop's API initializes 10,000 Paystack payments (no webhook will come);
  2. idle: HTTP beacons (bench/beacon_ingest.py's pipelined page visits), then ledger
     writes (bench/money.py ledger), before any of them is due;
  3. reconciling: once the pass has started asking (livehub_provider_calls_total moves),
     the same beacons and writes again;
  4. the pass is waited out (every payment confirmed by its answer; 6,000 questions a
     minute, so it spans two minutes), then the shop reports them credited, so none is
     asked again in a later round;
  5. idle again: the same beacons and writes once the last question is answered.
A window runs on a hub that holds more than in the window before it (sessions, rows, a
longer log): the reconciling window is compared with the mean of the idle windows before
and after it, so that growth counts against both sides alike.
Each window prints its rate, the provider calls answered during it (0 in an idle window,
>0 in a reconciling one, or the round is void) and the CPU the hub, the fake and this
client used; each round, reconciling / idle. The claim: the reconciler's loop, its slow
questions and its checks written beside the ledger leave beacons and ledger writes as
they were."""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "tests", "e2e")]
import beacon_ingest  # noqa: E402
import money  # noqa: E402
import provider_fakes  # noqa: E402
from release_binary import release_binary  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
RECONCILE_AFTER = 40  # seconds: > the idle windows, and 3x it > the pass (none asked twice)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def cpus_busy():
    """Per CPU: (busy, total) jiffies from /proc/stat: what else ran there shows too."""
    with open("/proc/stat") as f:
        rows = [line.split() for line in f if line.startswith("cpu") and line[3].isdigit()]
    return [(sum(map(int, r[1:9])) - int(r[4]) - int(r[5]), sum(map(int, r[1:9]))) for r in rows]


def scrape(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()


def metric_sum(text, prefix):
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


CALLS = 'livehub_provider_calls_total{provider="paystack"'
PAID = 'livehub_reconciled_payments_total{to="paid"'
COMMITS, COMMIT_SECONDS = "livehub_records_commit_seconds_count", "livehub_records_commit_seconds_sum"


def provider_calls(port):
    return int(metric_sum(scrape(port), CALLS))


def amount(i):
    kobo = 100000 + i  # what provider_fakes.seed() gives bench-ps-I
    return f"{kobo // 100}.{kobo % 100:02d}"


def post_all(port, bodies, path, connections=4, batch=200):
    """POSTs each body (pipelined, `connections` keep-alive sockets); every answer must be 200."""
    head = f"POST {path} HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {money.API_KEY}\r\nContent-Type: application/json\r\n"
    bad = []

    def worker(part):
        s = money.connect(port)
        for i in range(0, len(part), batch):
            chunk = part[i:i + batch]
            s.sendall(b"".join(head.encode() + b"Content-Length: %d\r\n\r\n" % len(b) + b for b in chunk))
            buf = b""
            while buf.count(b"HTTP/1.1 ") < len(chunk):
                data = s.recv(1 << 20)
                if not data:
                    raise RuntimeError("closed")
                buf += data
            bad.append(len(chunk) - buf.count(b"HTTP/1.1 200"))
        s.close()

    threads = [threading.Thread(target=worker, args=(bodies[c::connections],)) for c in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(bad) == 0, f"{sum(bad)} of {len(bodies)} {path} not answered 200"


def payment_events(first, count, stage):
    return [json.dumps({"reference": f"bench-ps-{i}", "provider": "paystack", "stage": stage, "amount": amount(i),
                        "currency": "NGN", "email": f"buyer{i}@shop.test"}).encode() for i in range(first, first + count)]


def beacons_per_s(port, beacons, connections=8):
    per = beacons // connections
    work = [beacon_ingest.http_batches(c * per, per) for c in range(connections)]  # prepared before the clock
    done = []
    threads = [threading.Thread(target=beacon_ingest.http_worker, args=(port, w, done)) for w in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == connections, "a beacon connection failed"
    return per * connections / (time.perf_counter() - t0)


class Window:
    """One measurement: its rate, the provider calls answered meanwhile, each process's CPU share."""

    def __init__(self, hub, fake, port):
        self.pids, self.port = {"hub": hub.pid, "fake": fake.pid}, port

    def __enter__(self):
        self.metrics, self.t0 = scrape(self.port), time.perf_counter()
        self.cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.client = sum(os.times()[:2])
        self.busy = cpus_busy()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.t0
        now = scrape(self.port)
        self.calls, self.commits = (int(metric_sum(now, m) - metric_sum(self.metrics, m)) for m in (CALLS, COMMITS))
        self.commit_ms = (metric_sum(now, COMMIT_SECONDS) - metric_sum(self.metrics, COMMIT_SECONDS)) * 1000 / max(1, self.commits)
        self.calls_per_s = self.calls / wall
        self.share = {name: (cpu_seconds(pid) - self.cpu[name]) / wall for name, pid in self.pids.items()}
        self.share["client"] = (sum(os.times()[:2]) - self.client) / wall
        busy = [(b1 - b0) / max(1, t1 - t0) for (b0, t0), (b1, t1) in zip(self.busy, cpus_busy())]
        # What else ran on each CPU (the kernel's own share of the traffic, another user's work).
        self.share["cpu0_other"] = busy[0] - self.share["client"] - self.share["fake"]
        self.share["cpu1_other"] = busy[1] - self.share["hub"]


def measure(args, hub, fake, writes_from):
    out = {}
    with Window(hub, fake, args.port) as w:
        out["beacons"] = (beacons_per_s(args.port, args.beacons), w)
    with Window(hub, fake, args.port) as w:
        n, elapsed = money.run_writes(args.port, 8, args.writes, 10000, start=writes_from)
        out["writes"] = (n / elapsed, w)
    return out


def show(round_, phase, result):
    for kind, (rate, w) in result.items():
        cpu = " ".join(f"{name if 'other' in name else name + '_cpu'}={share * 100:.0f}%" for name, share in w.share.items())
        print(f"round={round_} phase={phase} {kind}_per_s={rate:.0f} provider_calls={w.calls} "
              f"calls_per_s={w.calls_per_s:.0f} commits={w.commits} commit_ms={w.commit_ms:.2f} {cpu}", flush=True)


def quiet(seconds=120):
    """Waits until both CPUs were under 15% busy for 2 s (the machine is shared); False if never."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = cpus_busy()
        time.sleep(2)
        if all((b1 - b0) < 0.15 * (t1 - t0) for (b0, t0), (b1, t1) in zip(before, cpus_busy())):
            return True
    return False


def wait_until(what, test, seconds):
    deadline = time.monotonic() + seconds
    while not test():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--payments", type=int, default=10000)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--beacons", type=int, default=200000)
    ap.add_argument("--writes", type=int, default=40000)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    binary = release_binary()
    args.port = args.port or free_port()
    fake_port = free_port()
    os.sched_setaffinity(0, {0})
    fake = subprocess.Popen(["taskset", "-c", "0", "chrt", "--idle", "0", sys.executable, os.path.join(ROOT, "tests", "e2e", "provider_fakes.py"),
                             "--port", str(fake_port), "--delay", str(args.delay), "--payments", str(args.payments * args.rounds)],
                            stdout=subprocess.PIPE, text=True)
    for line in fake.stdout:
        if "serving until interrupted" in line:
            break
    data = tempfile.mkdtemp(prefix="reconcile-load-")
    hub = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--port", str(args.port), "--loops", "1", "--data-dir", data,
                            "--secret", "bench", "--api-key", money.API_KEY, "--log-level", "warning",
                            "--beacon-rate", "100000000/s", "--beacon-burst", "100000000",
                            "--paystack-secret", provider_fakes.PAYSTACK_SECRET,
                            "--paystack-api-url", f"http://127.0.0.1:{fake_port}/paystack",
                            "--reconcile-after", f"{RECONCILE_AFTER}s", "--reconcile-interval", "1s",
                            "--reconcile-calls-per-minute", "6000"],
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "hub.log"), "w"))
    try:
        def up():
            try:
                return provider_calls(args.port) >= 0
            except OSError:
                return False
        wait_until("the hub", up, 30)
        print(f"hub={binary} port={args.port} data={data} fake=127.0.0.1:{fake_port} delay={args.delay}s "
              f"payments={args.payments} beacons={args.beacons} writes={args.writes}", flush=True)
        measure(args, hub, fake, writes_from=50_000_000)  # warm-up (not reported): the first window pays the file's growth
        ratios = []
        for r in range(args.rounds):
            first = r * args.payments
            if not quiet():
                print(f"round={r + 1}: the machine stayed busy (another user): figures may be off", flush=True)
            text = scrape(args.port)
            asked_before, paid_before = int(metric_sum(text, CALLS)), metric_sum(text, PAID)
            post_all(args.port, payment_events(first, args.payments, "initialized"), "/api/payments/events")
            initialized = time.monotonic()
            idle = measure(args, hub, fake, writes_from=(3 * r + 1) * 1_000_000)
            if time.monotonic() - initialized >= RECONCILE_AFTER or any(w.calls for _, w in idle.values()):
                raise SystemExit("the idle window overlapped the pass: fewer --beacons/--writes")
            show(r + 1, "idle", idle)
            wait_until("the pass to start", lambda: provider_calls(args.port) > asked_before, RECONCILE_AFTER + 70)
            started = time.monotonic()
            busy = measure(args, hub, fake, writes_from=(3 * r + 2) * 1_000_000)
            show(r + 1, "reconciling", busy)
            tail = (provider_calls(args.port), cpu_seconds(hub.pid))
            wait_until("every payment confirmed by the pass",
                       lambda: metric_sum(scrape(args.port), PAID) - paid_before >= args.payments, 240)
            text = scrape(args.port)
            per_call = (cpu_seconds(hub.pid) - tail[1]) * 1e6 / max(1, int(metric_sum(text, CALLS)) - tail[0])
            outcomes = " ".join(f"{line.split('outcome=')[1].split(chr(34))[1]}={line.rsplit(' ', 1)[1]}"
                                for line in text.splitlines() if line.startswith(CALLS))
            with urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{args.port}/api/payments/checks?reference=bench-ps-{first}",
                    headers={"Authorization": f"Bearer {money.API_KEY}"}), timeout=10) as resp:
                check = json.loads(resp.read())["checks"][-1]  # the first
            print(f"round={r + 1} pass: {int(metric_sum(text, CALLS)) - asked_before} calls in {time.monotonic() - started:.1f} s "
                  f"from the first answer (so far, every round: {outcomes}); after the windows, {per_call:.0f} us of hub CPU a "
                  f"question; bench-ps-{first}: asked_by={check['asked_by']} "
                  f"outcome={check['outcome']} moved={check['moved']}", flush=True)
            post_all(args.port, payment_events(first, args.payments, "credited"), "/api/payments/events")  # settled: not asked again
            calm = [provider_calls(args.port), time.monotonic()]

            def calm_for_2s():  # no question still under way
                now = provider_calls(args.port)
                if now != calm[0]:
                    calm[:] = [now, time.monotonic()]
                return time.monotonic() - calm[1] >= 2
            wait_until("the last questions", calm_for_2s, 60)
            after = measure(args, hub, fake, writes_from=(3 * r + 3) * 1_000_000)
            show(r + 1, "idle-after", after)
            if not all(w.calls for _, w in busy.values()) or any(w.calls for _, w in after.values()):
                print(f"round={r + 1} void: a reconciling window saw no provider answer, or an idle one saw some", flush=True)
            else:
                ratios.append({k: busy[k][0] / ((idle[k][0] + after[k][0]) / 2) for k in idle})
                print(f"round={r + 1} ratio (reconciling / mean of idle before and after) "
                      + " ".join(f"{k}={v:.3f}" for k, v in ratios[-1].items()), flush=True)
        for k in ("beacons", "writes"):
            values = [x[k] for x in ratios]
            if values:
                print(f"{k} reconciling/idle (before and after): " + " ".join(f"{v:.3f}" for v in values) + f" (mean {sum(values) / len(values):.3f})")
    finally:
        hub.terminate()
        hub.wait()
        fake.terminate()
        fake.wait()
        with open(os.path.join(data, "hub.log")) as f:
            logged = f.read().splitlines()
        if logged:
            print(f"hub logged {len(logged)} lines (warning and above), the last: {logged[-1][:300]}")
        shutil.rmtree(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
