"""Paystack's transaction API, faked for provider_fakes.ProviderFakes.

Imitates, from Paystack's public API reference:
- GET /transaction/verify/:reference - https://paystack.com/docs/api/transaction/#verify and
  https://docs-v2.paystack.com/docs/payments/verify-payments (its example answer);
- GET /transaction - https://paystack.com/docs/api/transaction/#list (status, from, to, page,
  perPage) with the meta of https://paystack.com/docs/api/pagination/ (offset pagination:
  total, total_volume, skipped, perPage, page, pageCount; perPage defaults to 50);
- authentication and errors - https://paystack.com/docs/api/ ("Authorization: Bearer
  YOUR_SECRET_KEY") and https://paystack.com/docs/api/errors/ (401: "an invalid secret key in
  the authorization header or the lack of one"; 404: "the request resource does not exist";
  every answer is {"status": bool, "message": str, "data": ...}).
"""
import copy
import datetime
import hmac
import itertools
import math
import threading

# gateway_response in the docs' examples ("Successful", "Approved"); the others are the
# wording Paystack's dashboard shows for those statuses.
GATEWAY_RESPONSES = {"success": "Successful", "failed": "Declined", "abandoned": "The transaction was not completed",
                     "ongoing": "Transaction in progress", "pending": "Transaction in progress",
                     "reversed": "Reversed", "processing": "Transaction in progress", "queued": "Transaction in progress"}


def iso(moment):
    """Paystack's time format: 2020-05-19T12:30:56.000Z (UTC)."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_time(text, end_of_day=False):
    """from/to as the docs give them: 2016-09-24T00:00:05.000Z or 2016-09-21. A bare date as
    `to` means the whole of that day (our choice: the docs do not say)."""
    text = text.strip()
    if len(text) == 10:
        day = datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
        return day + datetime.timedelta(days=1) - datetime.timedelta(microseconds=1) if end_of_day else day
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


class PaystackFake:
    def __init__(self, secret):
        self.secret = secret
        self._lock = threading.Lock()
        self._transactions = {}  # reference -> transaction (the verify answer's data)
        self._ids = itertools.count(4099260516)

    def transaction(self, reference, status="success", amount=500000, currency="NGN", email="customer@example.com",
                    paid_at=None, created_at=None, gateway_response=None, channel="card", metadata=None):
        """Paystack knows this transaction (replacing one with the same reference, which keeps
        its id). amount is in the currency's subunit (kobo); paid_at/created_at are datetimes
        or Paystack-format strings; paid_at defaults to 5 s after created_at when status is
        success, else null."""
        now = datetime.datetime.now(datetime.timezone.utc)
        created = created_at if isinstance(created_at, str) else iso(created_at or now)
        if paid_at is None and status == "success":
            paid_at = parse_time(created) + datetime.timedelta(seconds=5)
        paid = paid_at if isinstance(paid_at, str) or paid_at is None else iso(paid_at)
        with self._lock:
            old = self._transactions.get(reference)
            number = old["id"] if old else next(self._ids)
            tx = {
                "id": number, "domain": "test", "status": status, "reference": reference, "receipt_number": None,
                "amount": amount, "message": None,
                "gateway_response": gateway_response or GATEWAY_RESPONSES.get(status, status.capitalize()),
                "paid_at": paid, "created_at": created, "channel": channel, "currency": currency,
                "ip_address": "197.210.45.12", "metadata": metadata if metadata is not None else "",
                "log": None, "fees": amount * 15 // 1000 if status == "success" else None, "fees_split": None,
                "authorization": {"authorization_code": f"AUTH_{number:x}", "bin": "408408", "last4": "4081",
                                  "exp_month": "12", "exp_year": "2030", "channel": channel, "card_type": "visa",
                                  "bank": "TEST BANK", "country_code": "NG", "brand": "visa", "reusable": True,
                                  "signature": f"SIG_{number:x}", "account_name": None},
                "customer": {"id": 92312441 + number % 1000, "first_name": None, "last_name": None, "email": email,
                             "customer_code": f"CUS_{number:x}", "phone": None, "metadata": None,
                             "risk_action": "default", "international_format_phone": None},
                "plan": None, "split": {}, "order_id": None, "paidAt": paid, "createdAt": created,
                "requested_amount": amount, "pos_transaction_data": None, "source": None, "fees_breakdown": None,
                "transaction_date": created, "plan_object": {}, "subaccount": {},
            }
            self._transactions[reference] = tx
            return tx

    # --- HTTP --------------------------------------------------------------------------------

    def failure(self, status):
        # Errors page: 500-504 "could not be fulfilled due to an error on Paystack's end".
        return {"status": False, "message": "An error occurred" if status >= 500 else "Request failed"}

    def refusal(self, request):
        # API reference, Authentication: "Authorization: Bearer YOUR_SECRET_KEY"; errors page:
        # 401 for a wrong secret key or none.
        given = request.headers.get("authorization", "")
        scheme, _, key = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), self.secret.encode()):
            return 401, {"status": False, "message": "Invalid key"}, {}
        return None

    def answer(self, request):
        if request.method != "GET":
            return 404, {"status": False, "message": "Route not found"}, {}
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["transaction", "verify"]:
            return self.verify(parts[2])
        if parts == ["transaction"]:
            return self.list(request.query)
        return 404, {"status": False, "message": "Route not found"}, {}

    def verify(self, reference):
        """GET /transaction/verify/:reference (Transaction > Verify): the transaction, 200 even
        when it failed ("Do check the data object to know how the charge went", errors page);
        an unknown reference is 404 "Transaction reference not found"."""
        with self._lock:
            tx = copy.deepcopy(self._transactions.get(reference))
        if tx is None:
            return 404, {"status": False, "message": "Transaction reference not found"}, {}
        return 200, {"status": True, "message": "Verification successful", "data": tx}, {}

    def list(self, query):
        """GET /transaction?status=&from=&to=&page=&perPage= (Transaction > List): newest first,
        offset pagination with the documented meta. from/to compare created_at."""
        def one(name, default=None):
            return query.get(name, [default])[-1]

        try:
            per_page = int(one("perPage", "50"))
            page = int(one("page", "1"))
            start = parse_time(one("from")) if one("from") else None
            end = parse_time(one("to"), end_of_day=True) if one("to") else None
        except ValueError as e:
            return 400, {"status": False, "message": f"Invalid query: {e}"}, {}
        if per_page < 1 or page < 1:
            return 400, {"status": False, "message": "page and perPage must be positive"}, {}
        status = one("status")
        with self._lock:
            found = list(self._transactions.values())
        if status:
            found = [t for t in found if t["status"] == status]
        if start:
            found = [t for t in found if parse_time(t["created_at"]) >= start]
        if end:
            found = [t for t in found if parse_time(t["created_at"]) <= end]
        found.sort(key=lambda t: (t["created_at"], t["id"]), reverse=True)
        skipped = (page - 1) * per_page
        meta = {"total": len(found), "total_volume": sum(t["amount"] for t in found), "skipped": skipped,
                "perPage": per_page, "page": page, "pageCount": math.ceil(len(found) / per_page)}
        with self._lock:
            data = copy.deepcopy(found[skipped:skipped + per_page])
        return 200, {"status": True, "message": "Transactions retrieved", "data": data, "meta": meta}, {}
