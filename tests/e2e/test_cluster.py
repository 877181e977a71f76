"""Several hubs on one PostgreSQL database behind Debian's nginx (scripts/cluster,
deploy/nginx.conf): presence sharded by session, every node's sellers seeing the totals."""
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
import websockets

from test_alerts import Receiver
from clusterproc import KEY, NODES, Cluster, cluster, free_block, ledger_write, post_json, receiver, recv_json  # noqa: F401 (fixtures)


CATEGORIES = ["shoes", "hats", "bags", "coats", "socks"]


def expected(sessions):
    """The live-metrics every node must show for these sessions: {id: (page_type, identifier)}."""
    pages, categories = {}, {}
    for page_type, identifier in sessions.values():
        pages[page_type] = pages.get(page_type, 0) + 1
        if page_type == "category":
            categories[identifier] = categories.get(identifier, 0) + 1
    return {"total_active": len(sessions), "pages": pages, "categories": categories}


async def seller_sees(cluster, port, want, timeout=10):
    """The first metrics-update on node `port`'s seller socket that shows `want`, or fail
    with the last one seen."""
    last = None
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/seller?token=" + cluster.token("seller")) as seller:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = json.loads(await asyncio.wait_for(seller.recv(), deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            if message.get("type") != "metrics-update":
                continue
            last = {k: message["data"][k] for k in want}
            if last == want:
                return
    raise AssertionError(f"node {port}'s sellers see {last}, not {want}")


async def track_over_sockets(cluster, sessions):
    """Each session on its own /ws/track socket through nginx, as tracker.js opens it."""
    sockets = []
    for sid, (page_type, identifier) in sessions.items():
        ws = await websockets.connect(f"{cluster.ws}/ws/track?sid={sid}")
        await ws.send(json.dumps({"type": "session-start", "session_id": sid}))
        await ws.send(json.dumps({"type": "page-visit", "session_id": sid, "page_type": page_type, "page_identifier": identifier}))
        sockets.append(ws)
    return sockets


async def seller_socket(cluster, port):
    """A seller on one node, past the messages every join starts with."""
    seller = await websockets.connect(f"ws://127.0.0.1:{port}/ws/seller?token=" + cluster.token("seller"))
    while True:
        try:
            await asyncio.wait_for(seller.recv(), 0.5)
        except asyncio.TimeoutError:
            return seller


async def next_of(seller, kind, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(seller.recv(), max(0.01, deadline - time.monotonic())))
        if message["type"] == kind:
            return message["data"]


def test_a_gap_is_alerted_once_and_every_nodes_sellers_see_it_open_and_close(cluster, receiver):
    a, b, c = cluster.node_ports

    async def run():
        sellers = [await seller_socket(cluster, port) for port in cluster.node_ports]
        # Money confirmed through node A, never credited: after the grace, one node's gap
        # sweep finds it (each node sweeps; the money turn lets one mark it).
        status, _ = await asyncio.to_thread(lambda: ledger_payment_event(a, "gap-1", "webhook_received"))
        assert status == 200
        gaps = await asyncio.gather(*(next_of(s, "payment-gap") for s in sellers))
        assert all(g["reference"] == "gap-1" and g["kind"] == "gap" for g in gaps), gaps
        alerts = await asyncio.gather(*(next_of(s, "alert") for s in sellers))
        assert all(al["kind"] == "payment_gap" and al["reference"] == "gap-1" for al in alerts), alerts
        # Resolved through node B: every node's sellers see it close.
        status, _ = await asyncio.to_thread(lambda: post_json(b, "/api/payments/gap-1/resolve", {"note": "credited by hand"}))
        assert status == 200
        closed = await asyncio.gather(*(next_of(s, "payment-gap-closed") for s in sellers))
        assert all(cl == {"reference": "gap-1", "kind": "gap"} for cl in closed), closed
        for s in sellers:
            await s.close()

    asyncio.run(run())
    # Delivered once, by the node that raised it, however many nodes swept.
    time.sleep(2)
    bodies = [json.loads(body) for body, _ in receiver.bodies]
    assert [body for body in bodies if "gap-1" in json.dumps(body)].__len__() == 1, bodies


def test_a_payment_error_on_one_node_reaches_every_nodes_sellers_once(cluster):
    async def run():
        sellers = [await seller_socket(cluster, port) for port in cluster.node_ports]
        assert cluster.post("/api/metrics/track/payment-error?sid=err-1", {"session_id": "err-1", "error_code": "card_declined",
                                                                          "error_message": "Your card was declined", "email": "eve@shop.test"})[0] == 200
        updates = await asyncio.gather(*(next_of(s, "payment-errors-update") for s in sellers))
        for update in updates:
            assert [(e["session_id"], e["error_code"], e["email"]) for e in update] == [("err-1", "card_declined", "eve@shop.test")], update
        # Each node lists it once, and a seller joining any node now gets it with the state.
        for port in cluster.node_ports:
            status, listed = await asyncio.to_thread(lambda: get_json(port, "/api/metrics/payment-errors"))
            assert [e["session_id"] for e in listed].count("err-1") == 1, (port, listed)
            joining = await websockets.connect(f"ws://127.0.0.1:{port}/ws/seller?token=" + cluster.token("seller"))
            state = await next_of(joining, "payment-errors-update")
            assert [e["session_id"] for e in state].count("err-1") == 1, (port, state)
            await joining.close()
        # Nothing twice afterwards, and the database has it once (written by its node only).
        for s in sellers:
            with pytest.raises(asyncio.TimeoutError):
                await next_of(s, "payment-errors-update", timeout=1)
            await s.close()
        assert cluster.psql("SELECT count(*) FROM payment_errors WHERE session_id = 'err-1'").strip() == "1"
        cluster.post("/api/metrics/session/end?sid=err-1", {"session_id": "err-1"})

    asyncio.run(run())


def node_index(node_id):
    """0-based, from scripts/cluster's `node-K`."""
    return int(node_id.removeprefix("node-")) - 1


def test_support_finds_a_persons_sessions_on_every_node(cluster):
    # A node that does not answer in time is named and left out: that rule is
    # ClusterQuestions' (ClusterRulesTests: a silent node, on the in-memory broker); the
    # header naming it is read in the outage test below ("unknown").
    b = cluster.node_ports[1]
    # One person, a session on each node (straight to the nodes: the test knows which).
    for k, port in enumerate(cluster.node_ports):
        sid = f"look-{k}"
        assert post_json(port, f"/api/metrics/session/start?sid={sid}", {"session_id": sid, "email": "Look@shop.test"})[0] == 200
        assert post_json(port, f"/api/metrics/track/page-visit?sid={sid}", {"session_id": sid, "page_type": "homepage"})[0] == 200
        time.sleep(0.01)  # distinct start times: newest first is then look-2, look-1, look-0
    assert post_json(b, "/api/metrics/track/checkout-start?sid=look-1", {"session_id": "look-1", "checkout_items": [{"sku": "s1"}], "total_amount": 5})[0] == 200
    try:
        funnels = []
        for port in cluster.node_ports:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/sessions?email=look@shop.test", headers=KEY)
            with urllib.request.urlopen(req, timeout=10) as resp:
                found = json.loads(resp.read())
                assert resp.headers.get("LiveHub-Unanswered-Nodes") is None
            assert [(s["session_id"], s["node"]) for s in found] == [("look-2", "node-3"), ("look-1", "node-2"), ("look-0", "node-1")], found
            assert [v["page_type"] for v in found[0]["visits"]] == ["homepage"]
            funnels.append({step["step"]: step["count"] for step in get_json(port, "/api/funnels?window=1h")[1]["checkout"]["steps"]})
        # The checkout funnel counts every node's sessions: the same on each.
        assert all(f == funnels[0] for f in funnels), funnels
        assert funnels[0]["checkout_started"] >= 1 and funnels[0]["session_started"] >= 3, funnels
    finally:
        for k, port in enumerate(cluster.node_ports):
            post_json(port, f"/api/metrics/session/end?sid=look-{k}", {"session_id": f"look-{k}"})


def test_an_erasure_on_one_node_clears_the_person_from_every_node(cluster):
    sid = "priv-1"
    assert cluster.post(f"/api/metrics/session/start?sid={sid}", {"session_id": sid, "email": "Gone@shop.test"})[0] == 200
    assert cluster.post(f"/api/metrics/track/payment-error?sid={sid}", {"session_id": sid, "error_code": "declined",
                                                                       "error_message": "no", "email": "gone@shop.test"})[0] == 200

    def everywhere(found):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            seen = []
            for port in cluster.node_ports:
                sessions = get_json(port, "/api/sessions?email=gone@shop.test")[1]
                errors = [e for e in get_json(port, "/api/metrics/payment-errors")[1] if e["session_id"] == sid]
                seen.append((len(sessions), len(errors)))
            if found(seen):
                return seen
            time.sleep(0.1)
        raise AssertionError(seen)

    # The session is on one node; every node finds it, and lists its payment error.
    everywhere(lambda seen: all(s == 1 and e == 1 for s, e in seen))
    holder = node_index(get_json(cluster.node_ports[0], "/api/sessions?email=gone@shop.test")[1][0]["node"])
    other = cluster.node_ports[(holder + 1) % NODES]
    status, preview = post_json(other, "/api/privacy/erase", {"email": "gone@shop.test"})
    assert status == 200, preview
    # The confirmation is signed, not kept: another node carries it out.
    status, answer = post_json(cluster.node_ports[(holder + 2) % NODES], "/api/privacy/erase", {"confirm": preview["confirm"]})
    assert status == 200, answer
    # Asked of a node that did not hold the session: every node lets go of all of it.
    everywhere(lambda seen: all(s == 0 and e == 0 for s, e in seen))

    # A node that is down while someone is erased: back on its snapshot, it drops them.
    sid = "priv-2"
    assert cluster.post(f"/api/metrics/session/start?sid={sid}", {"session_id": sid, "email": "away@shop.test"})[0] == 200
    holder = node_index(get_json(cluster.node_ports[0], "/api/sessions?email=away@shop.test")[1][0]["node"])
    command = cluster.command(holder)
    pid = cluster.pid(holder)
    os.kill(pid, signal.SIGTERM)  # its last snapshot, written as it stops, holds the session
    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    data = os.path.join(cluster.dir, f"node-{holder + 1}")
    assert b"away@shop.test" in open(os.path.join(data, "snapshot"), "rb").read()
    status, preview = post_json(cluster.node_ports[(holder + 1) % NODES], "/api/privacy/erase", {"email": "away@shop.test"})
    assert status == 200
    status, _ = post_json(cluster.node_ports[(holder + 1) % NODES], "/api/privacy/erase", {"confirm": preview["confirm"]})
    assert status == 200
    cluster.restart(holder, command)
    assert get_json(cluster.node_ports[holder], "/api/sessions?email=away@shop.test")[1] == []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        on_disk = b"".join(open(os.path.join(data, name), "rb").read() for name in os.listdir(data) if name.startswith("snapshot"))
        if b"away@shop.test" not in on_disk:
            break
        time.sleep(0.1)
    assert b"away@shop.test" not in on_disk


def test_a_node_with_another_token_key_is_refused(cluster):
    url = f"postgresql://postgres@/livehub?host={cluster.dir}/pg&port=5432"
    with tempfile.TemporaryDirectory() as data:
        done = subprocess.run([os.environ["LIVEHUB_BIN"], "serve", "--port", "0", "--data-dir", data, "--database", url, "--secret", "not-the-clusters"],
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "use another token key" in done.stdout + done.stderr


def test_a_token_revoked_on_one_node_is_refused_by_every_node_over_http_and_websocket(cluster):
    token = cluster.token_for("seller", "revoked-kiosk")
    bearer = {"Authorization": "Bearer " + token}

    def status(port):
        try:
            with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/api/metrics/live-metrics", headers=bearer), timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    async def socket_refused(port):
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/seller?token={token}"):
                return False
        except websockets.InvalidStatus as refused:
            return refused.response.status_code == 401

    assert [status(port) for port in cluster.node_ports] == [200] * NODES
    assert post_json(cluster.node_ports[0], "/api/tokens/revoke", {"sub": "revoked-kiosk"})[0] == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(status(port) != 401 for port in cluster.node_ports):
        time.sleep(0.1)
    assert [status(port) for port in cluster.node_ports] == [401] * NODES, "every node reads the revocation within a second or so"
    assert all(asyncio.run(socket_refused(port)) for port in cluster.node_ports)


def ledger_payment_event(port, reference, stage):
    return post_json(port, "/api/payments/events", {"reference": reference, "provider": "paystack", "stage": stage, "amount": "25.00",
                                                   "email": "ann@shop.test", "user_id": "ann"})


def pg_ctl(cluster, *args):
    """Debian's pg_ctl on the cluster's database (as `postgres` when we are root)."""
    from pgcluster import binaries
    command = [f"{binaries()}/pg_ctl", "-D", os.path.join(cluster.dir, "pg", "data"), "-w", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_without_the_database_beacons_go_on_money_answers_503_and_everything_resumes(cluster):
    a, b, c = cluster.node_ports
    token = cluster.token_for("balance", "outage")
    acknowledged, refused, beacon_statuses = [], [], []
    stop = threading.Event()

    def write_money():
        i = 0
        while not stop.is_set():
            i += 1
            reference = f"o{i}"
            try:
                status, _ = ledger_write([a, b][i % 2], "outage", reference)
                acknowledged.append(reference)
            except urllib.error.HTTPError as e:
                assert e.code == 503, e.code
                refused.append(reference)
            time.sleep(0.02)

    def send_beacons():
        i = 0
        while not stop.is_set():
            i += 1
            sid = f"o{i % 50}"
            try:
                beacon_statuses.append(cluster.post(f"/api/metrics/heartbeat?sid={sid}", {"session_id": sid})[0])
            except urllib.error.HTTPError as e:
                beacon_statuses.append(e.code)
            time.sleep(0.01)

    async def run():
        on_c = await websockets.connect(f"ws://127.0.0.1:{c}/ws/balance?token={token}")
        assert (await recv_json(on_c))["type"] == "balance"
        workers = [threading.Thread(target=write_money), threading.Thread(target=send_beacons)]
        for w in workers:
            w.start()
        try:
            await asyncio.sleep(1)
            await asyncio.to_thread(pg_ctl, cluster, "-m", "fast", "stop")
            await asyncio.sleep(10)
            refused_during = len(refused)
            # Which nodes are up is unknown now: support's lookup answers with this node's
            # sessions alone, and says so.
            status, unanswered = await asyncio.to_thread(lambda: lookup_headers(a, "nobody@shop.test"))
            assert status == 200 and unanswered == "unknown", (status, unanswered)
            await asyncio.to_thread(pg_ctl, cluster, "-l", os.path.join(cluster.dir, "pg", "log"), "-o",
                                    f"-k {os.path.join(cluster.dir, 'pg')} -p 5432 -c listen_addresses=''", "start")
            # Money is taken again by itself.
            deadline = time.monotonic() + 20
            count = len(acknowledged)
            while len(acknowledged) < count + 20 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            for w in workers:
                await asyncio.to_thread(w.join)
        assert refused_during > 0, "the writes during the outage were not refused"
        assert len(acknowledged) >= count + 20, "money did not resume"
        # Beacons never waited for the database.
        assert beacon_statuses and all(s == 200 for s in beacon_statuses), sorted(set(beacon_statuses))
        # Every acknowledged write is there, and nothing refused is.
        status, listed = await asyncio.to_thread(lambda: get_json(a, "/api/wallet/transactions?user_id=outage&limit=500"))
        stored = {t["reference"] for t in listed["transactions"]} if isinstance(listed, dict) else {t["reference"] for t in listed}
        assert set(acknowledged) <= stored and not (set(refused) & stored)
        # The socket on C, whose node lost its notifications meanwhile, has every seq once, in order.
        seen = []
        while len(seen) < len(acknowledged):
            seen.append((await recv_json(on_c, timeout=15))["seq"])
        assert seen == list(range(1, len(acknowledged) + 1))
        await on_c.close()
        # The tests after this one count their own sessions only.
        for i in range(50):
            cluster.post(f"/api/metrics/session/end?sid=o{i}", {"session_id": f"o{i}"})
        await asyncio.gather(*(seller_sees(cluster, port, {"total_active": 0}) for port in cluster.node_ports))

    asyncio.run(run())


def lookup_headers(port, email):
    """`GET /api/sessions?email=`: its status and its LiveHub-Unanswered-Nodes header."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/sessions?email={email}", headers=KEY)
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
        return resp.status, resp.headers.get("LiveHub-Unanswered-Nodes")


def get_json(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=KEY)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_a_nodes_chart_shows_the_minutes_another_node_wrote(cluster):
    """/api/metrics/history on one node shows a minute another node wrote, through
    PostgreSQL. How the chart sums them (each node's minutes once, a rewritten minute in
    place of the old, a node never reading its own) is ClusterRulesTests' and the broker
    contract's; this is the path through three processes."""
    a, b, c = cluster.node_ports

    def paid(port):
        return sum(p["paid"] for p in get_json(port, "/api/metrics/history?minutes=60")[1])

    before = paid(c)
    assert post_json(a, "/api/metrics/session/start?sid=paid-a1", {"session_id": "paid-a1"})[0] == 200
    assert post_json(a, "/api/metrics/track/payment-success?sid=paid-a1", {"session_id": "paid-a1", "amount": 5})[0] == 200
    # A hands its open minute over every 5 s; C reads the others' every 5 s.
    deadline = time.monotonic() + 20
    while paid(c) != before + 1:
        assert time.monotonic() < deadline, f"node C's chart shows {paid(c)} paid, not {before + 1}"
        time.sleep(0.25)
    post_json(a, "/api/metrics/session/end?sid=paid-a1", {"session_id": "paid-a1"})
    # The minutes are in the database, a row per node and minute.
    assert int(cluster.psql("SELECT count(DISTINCT node_id) FROM cluster_minutes").strip()) == NODES


def test_an_alert_whose_node_dies_mid_delivery_is_delivered_by_another(cluster, receiver):
    a, b, c = cluster.node_ports
    first = len(receiver.bodies)
    receiver.failures = first + 2  # its node's first attempt and retry fail
    assert ledger_payment_event(a, "gap-orphan", "webhook_received")[0] == 200
    receiver.wait_for(first + 1, timeout=20)
    # Killed outright between its attempts: its lease is renewed no more.
    holder = cluster.psql("SELECT delivery_node FROM alerts WHERE reference = 'gap-orphan'").strip()
    victim = node_index(holder)
    command = cluster.command(victim)
    os.kill(cluster.pid(victim), signal.SIGKILL)
    tried = len(receiver.bodies)
    killed_at = time.monotonic()

    def attempts():
        return [json.loads(body) for body, _ in receiver.bodies[first:] if "gap-orphan" in body.decode()]
    try:
        deadline = time.monotonic() + 60
        while len(receiver.bodies) <= max(tried, receiver.failures) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Another node took it over once the lease ran out (30 s, checked every 10 s) and
        # delivered it: once, its body the same.
        assert len(receiver.bodies) > receiver.failures, f"not taken over in {time.monotonic() - killed_at:.0f} s"
        assert time.monotonic() - killed_at > 15, "taken over while the lease still held"
        sent = attempts()
        assert len(sent) == len(receiver.bodies) - first and all(body == sent[0] for body in sent), sent
        row = cluster.psql("SELECT delivery_status || ' ' || delivery_node FROM alerts WHERE reference = 'gap-orphan'").split()
        assert row[0] == "sent" and row[1] != holder, row
        time.sleep(1)
        assert len(attempts()) == len(sent), "delivered again"
    finally:
        cluster.restart(victim, command)
        post_json(b if victim != 1 else c, "/api/payments/gap-orphan/resolve", {"note": "test"})


# Last: it kills a node.
def test_600_sessions_through_nginx_are_spread_over_the_nodes_and_every_nodes_sellers_see_the_totals(cluster):
    sessions = {}
    for i in range(600):
        page_type = random.choice(["homepage", "category", "checkout", "payment"])
        sessions[f"c{i:03d}"] = (page_type, random.choice(CATEGORIES) if page_type == "category" else None)
    over_http = dict(list(sessions.items())[:300])
    over_sockets = dict(list(sessions.items())[300:])
    for sid, (page_type, identifier) in over_http.items():
        assert cluster.post(f"/api/metrics/session/start?sid={sid}", {"session_id": sid})[0] == 200
        assert cluster.post(f"/api/metrics/track/page-visit?sid={sid}",
                            {"session_id": sid, "page_type": page_type, "page_identifier": identifier})[0] == 200

    async def run():
        sockets = await track_over_sockets(cluster, over_sockets)
        try:
            want = expected(sessions)
            await asyncio.gather(*(seller_sees(cluster, port, want) for port in cluster.node_ports))
            # The balancer spread them: every node holds some, none holds one twice.
            held = [cluster.node_sessions(port) for port in cluster.node_ports]
            assert sum(held) == 600, held
            assert all(n > 0 for n in held), held

            # A node killed outright: its row goes stale and its sessions leave the others'
            # totals; their next beacons reach the node the balancer picks now, and the
            # totals are whole again.
            victim = 2
            # Ledger writes go on through every node while one is killed.
            acknowledged, stop = [], threading.Event()

            def write_money():
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        ledger_write(cluster.node_ports[i % NODES], "killed", f"k{i}")
                        acknowledged.append(f"k{i}")
                    except OSError:
                        pass  # refused or cut off by the kill: never acknowledged
            writer = threading.Thread(target=write_money)
            writer.start()
            time.sleep(1.5)  # its snapshot (every second here) holds its sessions
            pid = cluster.pid(victim)
            command = cluster.command(victim)
            os.kill(pid, signal.SIGKILL)
            alive = [p for k, p in enumerate(cluster.node_ports) if k != victim]
            lost = held[victim]
            await asyncio.gather(*(seller_sees(cluster, port, {"total_active": 600 - lost}) for port in alive))
            stop.set()
            await asyncio.to_thread(writer.join)
            # No acknowledged write is lost (nor counted twice: the balance is their sum).
            references = set(cluster.psql("SELECT reference FROM transactions WHERE user_id = 'killed'").split())
            assert acknowledged and set(acknowledged) <= references, set(acknowledged) - references
            status, balance = await asyncio.to_thread(lambda: get_json(alive[0], "/api/wallet/balance?user_id=killed"))
            assert balance["balance"] == float(len(references))
            for sid in sessions:
                try:
                    cluster.post(f"/api/metrics/heartbeat?sid={sid}", {"session_id": sid})
                except OSError:
                    pass  # a socket session's HTTP beacon may meet the dead node once
            await asyncio.gather(*(seller_sees(cluster, port, {"total_active": 600}) for port in alive))

            # Back on its snapshot, which holds sessions the others took meanwhile: it lets
            # them go (their claims are in the database), so nothing counts twice.
            await asyncio.to_thread(cluster.restart, victim, command)
            await asyncio.sleep(1.5)
            await asyncio.gather(*(seller_sees(cluster, port, {"total_active": 600}) for port in cluster.node_ports))
            # Once the balancer sends their beacons to it again, it takes them back.
            await asyncio.sleep(5)  # nginx's fail_timeout
            for sid in sessions:
                cluster.post(f"/api/metrics/heartbeat?sid={sid}", {"session_id": sid})
            await asyncio.gather(*(seller_sees(cluster, port, {"total_active": 600}) for port in cluster.node_ports))
            held = [cluster.node_sessions(port) for port in cluster.node_ports]
            assert sum(held) == 600 and held[victim] > 0, held
        finally:
            for ws in sockets:
                await ws.close()

    asyncio.run(run())
