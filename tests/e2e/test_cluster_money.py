"""Money on a three-node cluster written side by side (issue 28, item 9): the same wallets
written through every node at once lose nothing, a balance socket on one node gets every
node's writes in seq order, and the velocity rule counts every node's transactions."""
import asyncio
import json
import threading

import pytest
import websockets

from clusterproc import KEY, NODES, cluster, ledger_write, receiver, recv_json  # noqa: F401 (fixtures)


def test_a_balance_socket_on_one_node_gets_writes_made_on_the_others_in_seq_order(cluster):
    a, b, c = cluster.node_ports
    token = cluster.token_for("balance", "wally")

    async def run():
        on_c = await websockets.connect(f"ws://127.0.0.1:{c}/ws/balance?token={token}")
        assert await recv_json(on_c) == {"type": "balance", "user_id": "wally", "balance": 0, "seq": 0, "unseen": 0}

        # Two nodes write the same wallet at once: the database puts them in one order.
        def writes(port, name):
            return [ledger_write(port, "wally", f"{name}{i}")[0] for i in range(25)]
        statuses = await asyncio.gather(asyncio.to_thread(writes, a, "a"), asyncio.to_thread(writes, b, "b"))
        assert all(s == 201 for s in statuses[0] + statuses[1]), statuses
        updates = [await recv_json(on_c) for _ in range(50)]
        assert [u["seq"] for u in updates] == list(range(1, 51))
        assert updates[-1]["balance"] == 50.0
        assert sorted(u["transaction"]["reference"] for u in updates) == sorted([f"a{i}" for i in range(25)] + [f"b{i}" for i in range(25)])
        with pytest.raises(asyncio.TimeoutError):
            await recv_json(on_c, timeout=0.5)

        # ?since= on another node, while node A keeps writing: none lost, none twice.
        writer = asyncio.create_task(asyncio.to_thread(lambda: [ledger_write(a, "wally", f"late{i}") for i in range(20)]))
        on_b = await websockets.connect(f"ws://127.0.0.1:{b}/ws/balance?token={token}&since=40")
        await writer
        opening = await recv_json(on_b)
        assert opening["type"] == "balance" and opening["seq"] == 40 and opening["balance"] == 40.0, opening
        replayed = [await recv_json(on_b) for _ in range(30)]
        assert [u["seq"] for u in replayed] == list(range(41, 71))
        assert replayed[-1]["balance"] == 70.0
        assert [u["seq"] for u in [await recv_json(on_c) for _ in range(20)]] == list(range(51, 71))
        await on_b.close()
        await on_c.close()

    asyncio.run(run())


def test_three_nodes_writing_the_same_wallets_at_once_lose_nothing_and_number_each_users_writes_in_one_order(cluster):
    """Nodes write money side by side (no turn taken on a shared row): 3 nodes x 4 connections
    credit 6 shared wallets at once. Every write is answered 201; each user's transactions
    are numbered 1..n with no hole and no repeat, each one's balance_after is the running
    sum in that order, and the wallet holds the total: no write decided from a balance
    another node had moved."""
    import http.client
    users = [f"side-{k}" for k in range(6)]
    statuses = []

    def writer(port, name):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        got = []
        for i in range(40):
            body = json.dumps({"user_id": users[(i * 7 + len(name)) % len(users)], "amount": f"0.{(i % 9) + 1:02d}", "type": "credit",
                               "description": "side by side", "reference": f"side-{name}-{i}"})
            conn.request("POST", "/api/wallet/transactions", body=body, headers={"Content-Type": "application/json", **KEY})
            resp = conn.getresponse()
            resp.read()
            got.append(resp.status)
        conn.close()
        statuses.extend(got)

    threads = [threading.Thread(target=writer, args=(port, f"n{n}c{c}")) for n, port in enumerate(cluster.node_ports) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == NODES * 4 * 40 and set(statuses) == {201}, sorted(set(statuses))
    rows = cluster.psql("""
        SELECT t.user_id, count(*), min(t.user_seq), max(t.user_seq), sum(t.amount_minor), w.balance_minor, w.last_seq,
            sum(CASE WHEN t.balance_after_minor = running THEN 0 ELSE 1 END)
        FROM (SELECT *, sum(amount_minor) OVER (PARTITION BY user_id ORDER BY user_seq) AS running FROM transactions
              WHERE user_id LIKE 'side-%') t JOIN wallets w ON w.user_id = t.user_id
        GROUP BY t.user_id, w.balance_minor, w.last_seq ORDER BY t.user_id""").split()
    assert len(rows) == len(users), rows
    total = 0
    for row in rows:
        user, count, first, last, amount, balance, last_seq, wrong = row.split("|")
        assert (int(first), int(last), int(last_seq)) == (1, int(count), int(count)), row
        assert int(balance) == int(amount), row
        assert int(wrong) == 0, row
        total += int(count)
    assert total == NODES * 4 * 40


def test_a_burst_written_through_three_nodes_is_alerted_once_from_the_records(cluster):
    """No node sees more than a third of the burst; the velocity rule reads the user's
    transactions from the records (every node's), so the eleventh write within five minutes
    is alerted, once."""
    for i in range(14):
        status, _ = ledger_write(cluster.node_ports[i % NODES], "velo", f"velo-{i}")
        assert status == 201
    assert cluster.psql("SELECT count(*) FROM alerts WHERE kind = 'high_velocity' AND user_id = 'velo'").strip() == "1"
    assert cluster.psql("SELECT reference FROM alerts WHERE kind = 'high_velocity' AND user_id = 'velo'").strip() == "velo-10"
