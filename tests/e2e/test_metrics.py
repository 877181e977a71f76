"""/metrics read by prometheus_client's own text-format parser, after real traffic."""
import asyncio
import json
import time
import urllib.request

import websockets
from prometheus_client.parser import text_string_to_metric_families

from hubproc import Hub

KEY = {"Authorization": "Bearer e2e-key"}


def scrape(hub):
    with urllib.request.urlopen(hub.base + "/metrics", timeout=5) as resp:
        text = resp.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):  # raises on anything malformed
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_count_what_happened(tmp_path):
    hub = Hub(str(tmp_path), "--loops", "1", "--gap-grace", "1s", "--paystack-secret", "ps", "--broadcast-interval", "50ms")
    try:
        async def seller_and_traffic():
            async with websockets.connect(hub.ws + "/ws/seller?token=" + hub.token("seller")) as ws:
                for _ in range(2):
                    await ws.recv()  # the state on join
                for i, type_ in enumerate(["credit", "credit", "debit", "refund", "sms_purchase"]):
                    status, _, _ = await asyncio.to_thread(hub.request, "POST", "/api/wallet/transactions",
                                                           {"user_id": "u", "amount": "1.00", "type": type_, "description": "d",
                                                            "reference": f"r{i}"}, KEY)
                    assert status == 201
                for stage in ["initialized", "completed"]:
                    await asyncio.to_thread(hub.request, "POST", "/api/payments/events",
                                            {"reference": "p1", "provider": "paystack", "stage": stage, "amount": "5.00"}, KEY)
                await asyncio.to_thread(hub.request, "POST", "/api/webhooks/paystack", None, {"x-paystack-signature": "00"},
                                        json.dumps({"event": "charge.success", "data": {"reference": "p1"}}).encode())
                await asyncio.to_thread(hub.request, "GET", "/no-such-page")
                await ws.recv()  # at least one more message reaches the seller

        asyncio.run(seller_and_traffic())
        for _ in range(100):  # p1 becomes a gap once the grace has passed
            if hub.request("GET", "/api/payments/gaps", headers=KEY)[1]:
                break
            time.sleep(0.05)
        samples = scrape(hub)
        assert value(samples, "livehub_ledger_writes_total", type="credit") == 2
        assert value(samples, "livehub_ledger_writes_total", type="sms_purchase") == 1
        assert value(samples, "livehub_balance_pushes_total") == 5
        assert value(samples, "livehub_payment_events_total", stage="completed") == 1
        assert value(samples, "livehub_open_payment_problems", kind="gap") == 1
        assert value(samples, "livehub_webhook_deliveries_total", provider="paystack", outcome="rejected") == 1
        assert value(samples, "livehub_alert_deliveries_total", outcome="not_configured") >= 1
        assert value(samples, "livehub_records_committed_writes_total") >= 8
        assert value(samples, "livehub_records_commit_seconds_count") >= 1
        assert value(samples, "livehub_records_commit_seconds_bucket", le="+Inf") == value(samples, "livehub_records_commit_seconds_count")
        assert value(samples, "livehub_http_responses_total", **{"class": "2xx"}) >= 7
        assert value(samples, "livehub_http_responses_total", **{"class": "4xx"}) >= 2  # the 401 webhook and the 404
        assert value(samples, "livehub_messages_out_total") >= 3
    finally:
        hub.stop()
