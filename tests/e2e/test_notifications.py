"""Notifications a wallet user can trust (issue 30): one per money event, written with it,
in an inbox (unseen, read, archived, a count), pushed live on /ws/balance as the user's
preferences allow, and gone with an erasure."""
import asyncio
import json
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

from hubproc import Hub, wait_for

KEY = {"Authorization": "Bearer e2e-key"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(str(tmp_path_factory.mktemp("notifications")))
    yield hub
    hub.stop()


def write(hub, user, amount, kind, reference, **more):
    body = {"user_id": user, "amount": amount, "type": kind, "description": more.get("description", "SMS to +254700000001"),
            "reference": reference}
    if "email" in more:
        body["email"] = more["email"]
    status, answer, _ = hub.request("POST", "/api/wallet/transactions", body, headers=KEY)
    assert status == 201, answer
    return answer


def inbox(hub, user, headers=KEY, **query):
    q = "&".join(f"{k}={v}" for k, v in {"user_id": user, **query}.items())
    status, answer, _ = hub.request("GET", "/api/notifications?" + q, headers=headers)
    assert status == 200, answer
    return answer


def bearer(token):
    return {"Authorization": "Bearer " + token}


async def recv(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


def test_an_sms_purchase_is_one_credit_deducted_notification_with_the_amount_and_balance(hub):
    write(hub, "nina", "10.00", "credit", "n-top-up")
    write(hub, "nina", "2.50", "sms_purchase", "n-sms-1")
    got = inbox(hub, "nina")
    kinds = [n["kind"] for n in got["notifications"]]
    assert kinds == ["credit_deducted", "credit_added"] and got["unseen"] == 2
    deducted = got["notifications"][0]
    assert deducted["amount"] == 2.5 and deducted["balance_after"] == 7.5 and deducted["status"] == "unseen"
    assert "2.50" in deducted["message"] and "7.50" in deducted["message"] and deducted["link"].startswith("/api/wallet/transactions/")
    # Her own token reads hers, and only hers.
    own = bearer(hub.token("balance", "nina"))
    assert [n["id"] for n in inbox(hub, "nina", headers=own)["notifications"]] == [n["id"] for n in got["notifications"]]
    status, answer, _ = hub.request("GET", "/api/notifications?user_id=omar", headers=own)
    assert status == 403 and answer["error"]["code"] == "wrong_user"
    assert hub.request("POST", "/api/notifications/read", {"user_id": "omar", "up_to": 10**9}, headers=own)[0] == 403


def test_read_archive_and_the_count(hub):
    for i in range(4):
        write(hub, "rita", "1.00", "credit", f"r-{i}")
    own = bearer(hub.token("balance", "rita"))
    ids = [n["id"] for n in inbox(hub, "rita")["notifications"]]
    assert hub.request("GET", "/api/notifications/count", headers=own)[1] == {"user_id": "rita", "unseen": 4}
    assert hub.request("POST", "/api/notifications/read", {"ids": [ids[0]]}, headers=own)[1] == {"changed": 1, "unseen": 3}
    assert hub.request("POST", "/api/notifications/read", {"ids": [ids[0]]}, headers=own)[1] == {"changed": 0, "unseen": 3}
    assert [n["id"] for n in inbox(hub, "rita", status="read")["notifications"]] == [ids[0]]
    assert hub.request("POST", "/api/notifications/archive", {"up_to": ids[2]}, headers=own)[1]["unseen"] == 1
    assert [n["id"] for n in inbox(hub, "rita", status="archived")["notifications"]] == ids[2:]
    assert [n["id"] for n in inbox(hub, "rita", status="unseen")["notifications"]] == [ids[1]]
    assert [n["status"] for n in inbox(hub, "rita")["notifications"]] == ["read", "unseen"]
    # Paging: before an id.
    assert [n["id"] for n in inbox(hub, "rita", status="archived", limit=1, before=ids[2])["notifications"]] == [ids[3]]
    for bad in [{"ids": "1"}, {"ids": [-1]}, {"up_to": "x"}, {}, {"ids": [1] * 1001}]:
        assert hub.request("POST", "/api/notifications/read", bad, headers=own)[0] == 400, bad
    assert hub.request("GET", "/api/notifications?user_id=rita&status=maybe", headers=KEY)[0] == 400


def test_preferences_stop_the_push_not_the_inbox_and_min_amount_is_honoured(hub):
    own = bearer(hub.token("balance", "pia"))
    status, stored, _ = hub.request("PUT", "/api/notifications/preferences",
                                    {"kinds": {"credit_deducted": {"in_app": False}, "credit_added": {"in_app": True, "min_amount": "5.00"}}},
                                    headers=own)
    assert status == 200 and stored["kinds"]["credit_deducted"]["in_app"] is False and stored["kinds"]["credit_added"]["min_amount"] == 5.0

    async def run():
        ws = await websockets.connect(hub.ws + "/ws/balance?token=" + own["Authorization"][7:])
        opening = await recv(ws)
        assert opening["type"] == "balance" and opening["unseen"] == 0
        await asyncio.to_thread(write, hub, "pia", "20.00", "credit", "p-big")
        await asyncio.to_thread(write, hub, "pia", "1.00", "credit", "p-small")
        await asyncio.to_thread(write, hub, "pia", "3.00", "debit", "p-debit")
        updates = [await recv(ws) for _ in range(3)]
        # Each live update says the unseen count after it; on PostgreSQL (cluster mode) an
        # update may come by the catch-up read instead, which says it on its last one.
        assert [u["seq"] for u in updates] == [1, 2, 3] and updates[-1]["unseen"] == 3
        assert all(u["unseen"] == u["seq"] for u in updates if "unseen" in u)
        assert updates[0]["notification"]["kind"] == "credit_added"
        assert "notification" not in updates[1]  # below her minimum
        assert "notification" not in updates[2]  # she turned debits off
        await ws.close()

    asyncio.run(run())
    assert [n["kind"] for n in inbox(hub, "pia")["notifications"]] == ["credit_deducted", "credit_added", "credit_added"]
    assert [n["pushed"] for n in inbox(hub, "pia")["notifications"]] == [False, False, True]
    for bad in [{"kinds": {"Bad Kind": {}}}, {"kinds": {"credit_added": {"in_app": "yes"}}}, {"email": "not an address"},
                {"kinds": {"credit_added": {"min_amount": "-1"}}}]:
        assert hub.request("PUT", "/api/notifications/preferences", bad, headers=own)[0] == 400, bad


def test_reading_pushes_the_unseen_count_and_a_shops_own_notice_arrives_live(hub):
    own = bearer(hub.token("balance", "sam"))
    write(hub, "sam", "4.00", "credit", "s-1")

    async def run():
        ws = await websockets.connect(hub.ws + "/ws/balance?token=" + own["Authorization"][7:])
        assert (await recv(ws))["unseen"] == 1
        await asyncio.to_thread(hub.request, "POST", "/api/notifications/read", {"up_to": 10**12}, own)
        assert await recv(ws) == {"type": "notifications_unseen", "unseen": 0}
        status, posted, _ = await asyncio.to_thread(hub.request, "POST", "/api/notifications",
                                                    {"user_id": "sam", "kind": "verification_ready", "title": "Your code is ready",
                                                     "message": "Open the app to read it."}, KEY)
        assert status == 201, posted
        pushed = await recv(ws)
        assert pushed["type"] == "notification" and pushed["notification"]["kind"] == "verification_ready" and pushed["unseen"] == 1
        await ws.close()

    asyncio.run(run())
    assert hub.request("POST", "/api/notifications", {"user_id": "sam", "kind": "Bad!"}, headers=KEY)[0] == 400
    assert hub.request("POST", "/api/notifications", {"user_id": "sam", "kind": "x"}, headers=bearer(hub.token("balance", "sam")))[0] == 403


def test_a_failed_payment_tells_its_user(hub):
    for stage in ["initialized", "failed"]:
        status, _, _ = hub.request("POST", "/api/payments/events", {"reference": "pf-1", "provider": "paystack", "stage": stage,
                                                                    "amount": "50.00", "user_id": "fay", "error_message": "Card declined"},
                                   headers=KEY)
        assert status == 200
    got = inbox(hub, "fay")["notifications"]
    assert [n["kind"] for n in got] == ["payment_failed"] and "Card declined" in got[0]["message"] and got[0]["reference"] == "pf-1"


def test_an_erasure_takes_the_persons_notifications(hub):
    write(hub, "erin", "3.00", "credit", "e-1")
    hub.request("PUT", "/api/notifications/preferences", {"user_id": "erin", "email": "erin@shop.test"}, headers=KEY)
    status, preview, _ = hub.request("POST", "/api/privacy/erase", {"user_id": "erin"}, headers=KEY)
    assert status == 200, preview
    status, done, _ = hub.request("POST", "/api/privacy/erase", {"user_id": "erin", "confirm": preview["confirm"]}, headers=KEY)
    assert status == 200, done
    assert inbox(hub, "erin")["notifications"] == []
    assert hub.request("GET", "/api/notifications/preferences?user_id=erin", headers=KEY)[1]["email"] is None


def test_every_acknowledged_write_has_its_notification_after_kill_minus_9(tmp_path):
    hub = Hub(str(tmp_path), "--snapshot-interval", "1h", "--loops", "2")
    acknowledged = []
    lock = threading.Lock()

    def one(i):
        status, tx, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": f"k{i % 5}", "amount": "1.00",
                                                                         "type": "credit" if i % 2 else "sms_purchase",
                                                                         "description": "x", "reference": f"k-{i}"}, headers=KEY)
        assert status == 201
        with lock:
            acknowledged.append(tx)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(200)))
    assert hub.stop(signal.SIGKILL) == -signal.SIGKILL
    again = Hub(str(tmp_path))
    try:
        noted = set()
        for k in range(5):
            got = inbox(again, f"k{k}", limit=200)["notifications"]
            noted |= {n["link"].rsplit("/", 1)[1] for n in got}
        assert noted == {str(t["id"]) for t in acknowledged} and len(acknowledged) == 200
    finally:
        again.stop()


# --- email, against a real SMTP server (Python's aiosmtpd: tests/e2e/smtp_sink.py) -----------



def test_an_email_arrives_with_the_amount_and_balance_and_a_refusal_is_tried_again(tmp_path):
    from smtp_sink import SMTPSink
    with SMTPSink(auth=("hub", "s3cret pass"), fail=1, fail_code=451) as sink:
        hub = Hub(str(tmp_path), "--smtp-url", sink.url, "--smtp-from", "wallet@shop.test")
        try:
            assert hub.request("PUT", "/api/notifications/preferences", {"user_id": "ema", "kinds": {"*": {"in_app": True, "email": True}}},
                               headers=KEY)[0] == 200
            # The address comes with the write, and is hers from then on.
            write(hub, "ema", "12.50", "credit", "em-1", email="ema@shop.test")
            assert hub.request("GET", "/api/notifications/preferences?user_id=ema", headers=KEY)[1]["email"] == "ema@shop.test"
            status, refused, _ = hub.request("POST", "/api/wallet/transactions", {"user_id": "ema", "amount": "1.00", "type": "credit",
                                                                                  "reference": "em-bad", "email": "ema at shop"}, headers=KEY)
            assert status == 400 and "email" in refused["error"]["message"]
            mail = wait_for(lambda: sink.messages(), seconds=20)[0]
            assert mail["subject"] == "Credits added" and mail["to"] == "ema@shop.test" and mail["auth_user"] == "hub"
            assert "12.50" in mail["text"] and "Balance: 12.50" in mail["text"]
            assert sink.failures == 1 and len(sink.messages()) == 1  # refused once (451), delivered once
            got = wait_for(lambda: [n for n in inbox(hub, "ema")["notifications"] if n["email"] == "sent"], seconds=20)
            assert got[0]["kind"] == "credit_added"
            # Nobody who gave no address or chose no email is mailed.
            write(hub, "quiet", "1.00", "credit", "q-1")
            time.sleep(1.5)
            assert len(sink.messages()) == 1
            with urllib.request.urlopen(hub.base + "/metrics", timeout=10) as resp:
                metrics = resp.read().decode()
            assert 'livehub_notification_emails_total{outcome="sent"} 1' in metrics
            assert 'livehub_notification_emails_total{outcome="retry"} 1' in metrics
            assert "s3cret" not in "".join(hub.output) + metrics
        finally:
            hub.stop()


def test_a_digest_groups_three_events_in_one_message(tmp_path):
    from smtp_sink import SMTPSink
    with SMTPSink() as sink:
        hub = Hub(str(tmp_path), "--smtp-url", sink.url, "--smtp-from", "wallet@shop.test", "--email-digest", "2s", "--notify-email", "on")
        try:
            hub.request("PUT", "/api/notifications/preferences", {"user_id": "dee", "email": "dee@shop.test"}, headers=KEY)
            for i, (amount, kind) in enumerate([("10.00", "credit"), ("2.00", "sms_purchase"), ("1.00", "refund")]):
                write(hub, "dee", amount, kind, f"d-{i}")
            mail = wait_for(lambda: sink.messages(), seconds=20)[0]
            time.sleep(1.5)
            assert len(sink.messages()) == 1
            assert mail["subject"] == "3 updates on your balance"
            for words in ["Credits added", "Credits used", "Refund received", "Balance: 9.00"]:
                assert words in mail["text"], words
        finally:
            hub.stop()
