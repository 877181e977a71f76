"""Streamed exports (README "Exports"): GET /api/export/{kind} writes every row back exactly,
as NDJSON and as CSV (read with Python's csv module), streamed in chunks; admins only; at most
two at once; a slow or stalled client does not make the hub buffer the export, and one that
leaves stops it.

Runs on SQLite, and on PostgreSQL with LIVEHUB_E2E_BACKEND=postgres (the bulk rows of the
memory tests are written there with psql)."""
import csv
import http.client
import io
import json
import os
import socket
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from hubproc import Hub, shared_database, wait_for

KEY = {"Authorization": "Bearer e2e-key"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")
# Text a spreadsheet would run or a naive CSV writer would break on.
AWKWARD = ["plain", "comma, inside", 'say "hi"', "two\r\nlines", "lf\nonly", "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3",
           "@SUM(A1)", "\ttab first", "ünïcödé ✓", ""]


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def since(minutes=60):
    return iso(datetime.now(timezone.utc) - timedelta(minutes=minutes))


def export(hub, kind, query, headers=KEY):
    """(status, headers, body bytes) of one export, read whole by http.client (which undoes
    the chunked coding and fails on a body cut short)."""
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    connection.request("GET", f"/api/export/{kind}?{query}", headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def ndjson(body):
    text = body.decode()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def as_csv(value):
    """What the CSV field of an NDJSON value must read as (the csv module undoes the quoting)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(FORMULA) else value


def check_both_formats(hub, kind, query):
    """The NDJSON rows; the CSV says the same, field by field, with the injection guard."""
    status, headers, body = export(hub, kind, query + "&format=ndjson")
    assert status == 200, body
    assert headers["content-type"] == "application/x-ndjson" and headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    rows = ndjson(body)
    status, headers, body = export(hub, kind, query + "&format=csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"].startswith(f'attachment; filename="livehub-{kind}-') and headers["content-disposition"].endswith('.csv"')
    assert body.endswith(b"\r\n")
    records = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert len(records) == len(rows) + 1
    if rows:
        assert records[0] == list(rows[0].keys())
    for row, record in zip(rows, records[1:]):
        assert record == [as_csv(v) for v in row.values()], (row, record)
    return rows


@pytest.fixture
def hub(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "2")
    yield hub
    hub.stop()


def test_every_row_comes_back_exactly_in_both_formats(hub):
    start = since()
    ledger = []
    for i, text in enumerate(AWKWARD):
        status, t, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": f"u{i % 3}", "amount": f"{i + 1}.{i:02d}", "type": "credit",
                                                                       "description": text or "-", "reference": f"ref-{i}"}, headers=KEY)
        assert status == 201, t
        ledger.append(t)
    status, t, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "u0", "amount": "0.50", "type": "debit", "description": "=1+1",
                                                                   "reference": "=ref-debit"}, headers=KEY)
    assert status == 201, t
    ledger.append(t)

    payments = {}
    for i, (currency, amount, shown) in enumerate([("NGN", "5000.00", "5000.00"), ("JPY", "1000", "1000"), ("KWD", "1.25", "1.250"),
                                                   ("USD", "12.5", "12.50")]):
        body = {"reference": f"pay-{i},{currency}", "provider": "paystack", "stage": "initialized", "amount": amount, "currency": currency,
                "email": AWKWARD[i + 4] + "@shop.test", "user_id": f"u{i}"}
        status, p, _ = hub.request("POST", "/api/payments/events", body, headers=KEY)
        assert status == 200, p
        payments[p["reference"]] = (p, shown)

    activity = []
    for i, text in enumerate(AWKWARD):
        body = {"action": "login", "status": "failed" if i % 2 else "success", "user_id": f"u{i}", "email": f"a{i}@shop.test",
                "details": {"note": text, "n": i}}
        if i % 2:
            body["error_message"] = text or "x"
        status, a, _ = hub.request("POST", "/api/activity", body, headers=KEY)
        assert status == 201, a
        activity.append(a)

    rows = check_both_formats(hub, "ledger", f"from={start}")
    assert [r["id"] for r in rows] == [t["id"] for t in ledger]  # by time, then id
    for row, t in zip(rows, ledger):
        for name in ["id", "user_id", "type", "description", "reference", "created_at", "payment_reference", "service"]:
            assert row[name] == t[name], name
        assert Decimal(row["amount"]) == Decimal(str(t["amount"])) and row["amount"].split(".")[1].__len__() == 2
        assert Decimal(row["balance_after"]) == Decimal(str(t["balance_after"]))

    rows = check_both_formats(hub, "payments", f"from={start}")
    assert sorted(r["reference"] for r in rows) == sorted(payments)
    for row in rows:
        p, shown = payments[row["reference"]]
        assert row["amount"] == shown and row["currency"] == p["currency"]
        for name in ["provider", "status", "email", "user_id", "created_at"]:
            assert row[name] == p[name], name

    rows = check_both_formats(hub, "activity", f"from={start}")
    assert [r["id"] for r in rows] == [a["id"] for a in activity]
    for row, a in zip(rows, activity):
        for name in ["user_id", "email", "action", "status", "error_message", "created_at"]:
            assert row[name] == a[name], name
        assert json.loads(row["details"]) == a["details"]

    # A window that holds none: a CSV of its header only, an empty NDJSON body.
    far = "from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z"
    assert check_both_formats(hub, "ledger", far) == []
    status, _, body = export(hub, "ledger", far + "&format=csv")
    assert body.startswith(b"id,created_at,user_id,type,amount,balance_after,") and body.count(b"\r\n") == 1
    # `to` excludes: the window up to the first entry's time holds nothing of it.
    assert ndjson(export(hub, "ledger", f"from={start}&to={ledger[0]['created_at']}")[2]) == []
    # Rollups: the minute's counts, once the hub has written them (they are the shop's day).
    status, headers, body = export(hub, "rollups", f"from={start}&grain=minute&format=csv")
    assert status == 200 and body.startswith(b"grain,bucket,metric,key,value\r\n")
    assert 'filename="livehub-rollups-minute-' in headers["content-disposition"]
    check_both_formats(hub, "rollups", f"from={start}&grain=hour")


def test_the_query_is_checked_and_only_admins_export(hub):
    for query in ["", "from=yesterday", "from=2026-12-01T00:00:00Z&format=xml", "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
                  "from=2026-12-01T00:00:00Z&grain=week"]:
        status, _, body = export(hub, "rollups", query)
        assert status == 400 and json.loads(body)["error"]["code"] == "invalid_query", query
    status, _, body = export(hub, "users", "from=2026-12-01T00:00:00Z")
    assert status == 400 and "ledger" in json.loads(body)["error"]["message"]
    status, _, body = export(hub, "ledger", "from=2026-12-01T00:00:00Z&grain=day")
    assert status == 400
    assert export(hub, "ledger", "from=2026-12-01T00:00:00Z", headers={})[0] == 401
    for scope in ["seller", "support", "balance"]:
        status, _, body = export(hub, "ledger", "from=2026-12-01T00:00:00Z", headers={"Authorization": "Bearer " + hub.token(scope)})
        assert status == 403 and json.loads(body)["error"]["code"] == "wrong_scope", scope
    status, headers, _ = export(hub, "payments", "from=2026-12-01T00:00:00Z&to=2026-12-07T00:00:00Z&format=csv",
                                headers={"Authorization": "Bearer " + hub.token("admin")})
    assert status == 200 and headers["content-disposition"] == 'attachment; filename="livehub-payments-2026-12-01-2026-12-07.csv"'
    # curl reads it as a client would.
    out = subprocess.run(["curl", "-sS", "-f", "-H", "Authorization: Bearer e2e-key", "-D", "-",
                          f"{hub.base}/api/export/ledger?from=2026-12-01T00:00:00Z&format=csv"], capture_output=True, check=True)
    assert b"Transfer-Encoding: chunked" in out.stdout and out.stdout.endswith(b"\r\n\r\nid,created_at,user_id,type,amount,balance_after,description,service,reference,payment_reference,user_seq\r\n")


# The bulk rows of the memory tests: written straight into the database while the hub is
# stopped (writing them through the API would take minutes), by time from BULK_START.
BULK_START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def fill_ledger(data_dir, rows):
    database = shared_database(data_dir)
    if database:
        url = database[1]
        sql = f"""INSERT INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
                      created_at, balance_after_minor, user_seq)
                  SELECT 10000000 + g, 'bulk', 1234, 'credit', 'bulk row ' || g || ', "quoted"', NULL, 'bulk-' || g, NULL,
                      to_char(timestamp '2026-01-01' + g * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 1234 * g, g
                  FROM generate_series(1, {rows}) AS g"""
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)
        return
    db = sqlite3.connect(os.path.join(data_dir, "livehub.db"))
    db.executemany("""INSERT INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
                      created_at, balance_after_minor, user_seq) VALUES (?, 'bulk', 1234, 'credit', ?, NULL, ?, NULL, ?, ?, ?)""",
                   ((10_000_000 + g, f'bulk row {g}, "quoted"', f"bulk-{g}", iso(BULK_START + timedelta(milliseconds=g)),
                     1234 * g, g) for g in range(1, rows + 1)))
    db.commit()
    db.close()


@pytest.fixture(scope="module")
def bulk_hub(tmp_path_factory):
    data_dir = str(tmp_path_factory.mktemp("exports-bulk"))
    Hub(data_dir).stop()  # makes and migrates the database
    fill_ledger(data_dir, 200_000)
    hub = Hub(data_dir, "--loops", "2")
    yield hub
    hub.stop()


def rss_kib(hub):
    with open(f"/proc/{hub.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def open_export(hub, query="from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z"):
    """A raw socket that asked for the bulk ledger export and reads nothing yet."""
    s = socket.create_connection(("127.0.0.1", hub.port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(f"GET /api/export/ledger?{query} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer e2e-key\r\n\r\n".encode())
    return s


def test_a_slow_client_does_not_make_the_hub_buffer_the_export(bulk_hub):
    hub = bulk_hub
    # Warm: one whole export first, so the figures below are of steady state.
    status, _, body = export(hub, "ledger", "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")
    assert status == 200 and body.count(b"\n") == 200_000
    before = rss_kib(hub)
    s = open_export(hub)
    peak, read, started = before, 0, time.monotonic()
    while time.monotonic() - started < 6:  # about 1 MB/s: a few % of the export in 6 s
        chunk = s.recv(16 * 1024)
        assert chunk
        read += len(chunk)
        time.sleep(0.015)
        peak = max(peak, rss_kib(hub))
    # It stops reading altogether: the hub waits with what it has, and buffers no more.
    stalled_from = rss_kib(hub)
    time.sleep(3)
    peak = max(peak, rss_kib(hub))
    assert read < 20 * 1024 * 1024
    assert peak - before < 16 * 1024, (before, peak, stalled_from)
    # It leaves: the reader stops (the log says so) and a new export runs.
    s.close()
    wait_for(lambda: any("export stopped" in line for line in hub.output), 10)
    assert export(hub, "ledger", "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:01Z")[0] == 200


def test_two_exports_run_at_once_and_a_third_waits_its_turn(bulk_hub):
    hub = bulk_hub
    stopped = sum("export stopped" in line for line in hub.output)
    first, second = open_export(hub), open_export(hub)
    for s in (first, second):
        assert s.recv(64).startswith(b"HTTP/1.1 200 OK\r\n")
    status, headers, body = export(hub, "ledger", "from=2026-01-01T00:00:00Z")
    assert status == 503 and json.loads(body)["error"]["code"] == "exports_busy" and headers["retry-after"] == "5"
    first.close()
    second.close()
    wait_for(lambda: sum("export stopped" in line for line in hub.output) >= stopped + 2, 10)
    status, _, body = export(hub, "ledger", "from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00.100Z&format=csv")
    assert status == 200 and len(list(csv.reader(io.StringIO(body.decode(), newline="")))) == 1 + 99
