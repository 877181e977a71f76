"""Stripe's events, payment intents and checkout sessions, faked for
provider_fakes.ProviderFakes.

Imitates, from Stripe's public API reference (https://docs.stripe.com/api):
- authentication - https://docs.stripe.com/api/authentication: "Authentication to the API is
  performed via HTTP Basic Auth. Provide your API key as the basic auth username value",
  or "Authorization: Bearer sk_test_..."; requests without it fail;
- errors - https://docs.stripe.com/api/errors: {"error": {"type", "message", "code", "param",
  "doc_url"}}, 401 "No valid API key provided", 404 "The requested resource doesn't exist";
- GET /v1/events - https://docs.stripe.com/api/events/list: delivery_success ("If false,
  events which are still pending or have failed all delivery attempts to a webhook endpoint
  will be returned"), types (an array: types[]=a&types[]=b, or indexed types[0]=a), type
  (with * as a wildcard), limit (1 to 100, default 10), starting_after (an object id); the
  answer is a list object {"object": "list", "url", "has_more", "data"}, newest first;
- GET /v1/events/:id - https://docs.stripe.com/api/events/retrieve;
- GET /v1/payment_intents/:id - https://docs.stripe.com/api/payment_intents/retrieve;
- GET /v1/checkout/sessions/:id - https://docs.stripe.com/api/checkout/sessions/retrieve;
- GET /v1/payment_intents/search?query= - https://docs.stripe.com/api/payment_intents/search
  and https://docs.stripe.com/search (query language: field:'value' clauses joined by AND,
  metadata['key']:'value'); the answer is {"object": "search_result", "url", "has_more",
  "next_page", "data"}.
Our reference rides in a payment intent's metadata.reference or a checkout session's
client_reference_id (as LiveHub's Sources/Webhooks/Stripe.swift reads them).
"""
import base64
import copy
import fnmatch
import hmac
import itertools
import re
import secrets
import threading
import time

API_VERSION = "2024-06-20"
DOC = "https://stripe.com/docs/error-codes/"


def error(status, message, type_="invalid_request_error", code=None, param=None):
    body = {"error": {"message": message, "type": type_}}
    if code:
        body["error"].update(code=code, doc_url=DOC + code.replace("_", "-"))
    if param:
        body["error"]["param"] = param
    return status, body, {"Request-Id": "req_" + secrets.token_hex(7)}


def missing(kind, object_id, param):
    return error(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class StripeFake:
    def __init__(self, key):
        self.key = key
        self._lock = threading.RLock()
        self._events = []          # every event, in the order made
        self._intents = {}         # id -> payment_intent
        self._sessions = {}        # id -> checkout.session
        self._seq = itertools.count(1)

    # --- objects (shaped as the API reference's examples) ------------------------------------

    def payment_intent(self, reference, amount=2000, currency="usd", status="succeeded", object_id=None, email=None,
                       created=None, metadata=None):
        """A payment intent whose metadata.reference is ours (replacing one with that id)."""
        object_id = object_id or "pi_" + secrets.token_hex(12)
        intent = {
            "id": object_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_received": amount if status == "succeeded" else 0, "application": None,
            "application_fee_amount": None, "automatic_payment_methods": {"enabled": True}, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic", "client_secret": f"{object_id}_secret_fake",
            "confirmation_method": "automatic", "created": created or int(time.time()), "currency": currency,
            "customer": None, "description": None,
            "last_payment_error": None if status != "requires_payment_method" else
            {"code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined.",
             "type": "card_error"},
            "latest_charge": "ch_" + object_id[3:] if status == "succeeded" else None, "livemode": False,
            "metadata": {"reference": reference, **(metadata or {})}, "next_action": None, "on_behalf_of": None,
            "payment_method": "pm_" + object_id[3:], "payment_method_types": ["card"], "receipt_email": email,
            "review": None, "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
            "status": status, "transfer_data": None, "transfer_group": None,
        }
        with self._lock:
            self._intents[object_id] = intent
        return intent

    def checkout_session(self, reference, amount=2000, currency="usd", status="complete", payment_status="paid",
                         object_id=None, email=None, created=None, payment_intent=None):
        """A checkout session whose client_reference_id is ours; a paid one names its payment
        intent (made too, with metadata.reference)."""
        object_id = object_id or "cs_test_" + secrets.token_hex(16)
        created = created or int(time.time())
        if payment_intent is None and payment_status == "paid":
            payment_intent = self.payment_intent(reference, amount, currency, "succeeded", email=email, created=created)["id"]
        session = {
            "id": object_id, "object": "checkout.session", "amount_subtotal": amount, "amount_total": amount,
            "cancel_url": None, "client_reference_id": reference, "created": created, "currency": currency,
            "customer": None, "customer_details": {"email": email, "name": None, "phone": None, "tax_exempt": "none"},
            "customer_email": email, "expires_at": created + 86400, "livemode": False, "metadata": {},
            "mode": "payment", "payment_intent": payment_intent, "payment_method_types": ["card"],
            "payment_status": payment_status, "status": status, "success_url": "https://shop.test/paid",
            "url": None if status != "open" else f"https://checkout.stripe.com/c/pay/{object_id}",
        }
        with self._lock:
            self._sessions[object_id] = session
        return session

    def event(self, reference, kind="payment_intent.succeeded", amount=2000, currency="usd", object_id=None,
              email=None, delivered=True, created=None):
        """An event of type `kind` whose data.object carries our reference: a payment intent
        (payment_intent.*), a checkout session (checkout.session.*) or a charge (charge.*,
        metadata.reference). Undelivered: pending_webhooks > 0, so delivery_success=false
        lists it."""
        created = created or int(time.time())
        if kind.startswith("checkout.session."):
            status, paid = {"checkout.session.completed": ("complete", "paid"),
                            "checkout.session.async_payment_succeeded": ("complete", "paid"),
                            "checkout.session.async_payment_failed": ("complete", "unpaid"),
                            "checkout.session.expired": ("expired", "unpaid")}.get(kind, ("open", "unpaid"))
            obj = self.checkout_session(reference, amount, currency, status, paid, object_id, email, created)
        elif kind.startswith("charge."):
            ok = kind == "charge.succeeded"
            intent = self.payment_intent(reference, amount, currency, "succeeded" if ok else "requires_payment_method",
                                         email=email, created=created)
            obj = {"id": object_id or "ch_" + secrets.token_hex(12), "object": "charge", "amount": amount,
                   "amount_captured": amount if ok else 0, "captured": ok, "created": created, "currency": currency,
                   "metadata": {"reference": reference}, "paid": ok, "payment_intent": intent["id"],
                   "receipt_email": email, "status": "succeeded" if ok else "failed",
                   "failure_code": None if ok else "card_declined",
                   "failure_message": None if ok else "Your card was declined."}
        else:
            status = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "requires_payment_method",
                      "payment_intent.canceled": "canceled", "payment_intent.processing": "processing",
                      "payment_intent.created": "requires_payment_method"}.get(kind, "processing")
            obj = self.payment_intent(reference, amount, currency, status, object_id, email, created)
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": API_VERSION,
                 "created": created, "data": {"object": copy.deepcopy(obj)}, "livemode": False,
                 "pending_webhooks": 0 if delivered else 1,
                 "request": {"id": "req_" + secrets.token_hex(7), "idempotency_key": None}, "type": kind}
        with self._lock:
            self._events.append((next(self._seq), event))
        return event

    # --- HTTP --------------------------------------------------------------------------------

    def failure(self, status):
        if status == 429:
            return error(429, "Too many requests hit the API too quickly.", "invalid_request_error", "rate_limit")[1]
        return error(status, "An unknown error occurred", "api_error")[1]

    def refusal(self, request):
        # Authentication: HTTP Basic with the key as user name (no password), or Bearer.
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        key = None
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(value.strip(), validate=True).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        if key is None or key == "":
            return error(401, "You did not provide an API key. You need to provide your API key in the Authorization "
                              "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                              "https://stripe.com/docs/api#authentication for details, or we can help at "
                              "https://support.stripe.com/.")
        if not hmac.compare_digest(key.encode(), self.key.encode()):
            shown = key[:8] + "*" * max(len(key) - 12, 4) + key[-4:] if len(key) > 12 else key
            return error(401, f"Invalid API Key provided: {shown}")
        return None

    def answer(self, request):
        parts = request.path.strip("/").split("/")
        if request.method != "GET" or not parts or parts[0] != "v1":
            return error(404, f"Unrecognized request URL ({request.method}: {request.path}).")
        rest = parts[1:]
        if rest == ["events"]:
            return self.list_events(request)
        if len(rest) == 2 and rest[0] == "events":
            return self.retrieve(self._find_event(rest[1]), "event", rest[1], "id")
        if rest == ["payment_intents", "search"]:
            return self.search_intents(request)
        if len(rest) == 2 and rest[0] == "payment_intents":
            return self.retrieve(self._intents.get(rest[1]), "payment_intent", rest[1], "intent")
        if len(rest) == 3 and rest[:2] == ["checkout", "sessions"]:
            return self.retrieve(self._sessions.get(rest[2]), "checkout.session", rest[2], "session")
        return error(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    def retrieve(self, obj, kind, object_id, param):
        """GET /v1/{events,payment_intents,checkout/sessions}/:id: the object, or 404
        resource_missing "No such ...: 'id'"."""
        if obj is None:
            return missing(kind, object_id, param)
        with self._lock:
            return 200, copy.deepcopy(obj), {"Request-Id": "req_" + secrets.token_hex(7)}

    def _find_event(self, event_id):
        with self._lock:
            return next((e for _, e in self._events if e["id"] == event_id), None)

    def _limit(self, request):
        text = request.query.get("limit", ["10"])[-1]
        if not text.isdigit() or not 1 <= int(text) <= 100:
            return None, error(400, "This value must be between 1 and 100 (it currently is " + repr(text) + ").",
                               code="parameter_invalid_integer", param="limit")
        return int(text), None

    def list_events(self, request):
        """GET /v1/events (List all events): newest first, filtered by delivery_success,
        types[] / types[N] / type, paged by limit and starting_after."""
        limit, refused = self._limit(request)
        if refused:
            return refused
        types = [v for name, v in request.pairs if re.fullmatch(r"types\[\d*\]", name)]
        pattern = request.query.get("type", [None])[-1]
        if types and pattern:
            return error(400, "You may pass either `type` or `types`, but not both.", param="types")
        if len(types) > 20:
            return error(400, "types may have at most 20 entries.", param="types")
        delivery = request.query.get("delivery_success", [None])[-1]
        if delivery not in (None, "true", "false"):
            return error(400, "Invalid boolean: " + delivery, param="delivery_success")
        with self._lock:
            ordered = [e for _, e in sorted(self._events, key=lambda s: (s[1]["created"], s[0]), reverse=True)]
        after = request.query.get("starting_after", [None])[-1]
        if after:
            position = next((i for i, e in enumerate(ordered) if e["id"] == after), None)
            if position is None:
                return missing("event", after, "starting_after")
            ordered = ordered[position + 1:]
        if types:
            ordered = [e for e in ordered if e["type"] in types]
        if pattern:
            ordered = [e for e in ordered if fnmatch.fnmatchcase(e["type"], pattern)]
        if delivery is not None:
            ordered = [e for e in ordered if (e["pending_webhooks"] == 0) == (delivery == "true")]
        with self._lock:
            data = copy.deepcopy(ordered[:limit])
        return 200, {"object": "list", "url": "/v1/events", "has_more": len(ordered) > limit, "data": data}, \
            {"Request-Id": "req_" + secrets.token_hex(7)}

    def search_intents(self, request):
        """GET /v1/payment_intents/search?query=... (Search PaymentIntents), supporting the
        query language's exact matches field:'value' (or "value") joined by AND, with
        metadata['key'] and the fields status, currency, amount, customer."""
        limit, refused = self._limit(request)
        if refused:
            return refused
        query = request.query.get("query", [""])[-1].strip()
        if not query:
            return error(400, "Missing required param: query.", code="parameter_missing", param="query")
        clauses = []
        for clause in re.split(r"\s+AND\s+", query):
            m = re.fullmatch(r"""(metadata\[['"]([^'"]+)['"]\]|status|currency|amount|customer):(['"])(.*)\3""", clause.strip())
            if not m:
                return error(400, f"Invalid search query: {query!r}. Use field:'value' clauses joined by AND.",
                             code="parameter_invalid_string", param="query")
            clauses.append((m.group(2), m.group(1), m.group(4)))
        def matches(intent):
            for meta_key, field, value in clauses:
                got = intent["metadata"].get(meta_key) if meta_key else intent.get(field)
                if str(got) != value:
                    return False
            return True
        page = request.query.get("page", ["page_0"])[-1]
        if not re.fullmatch(r"page_\d+", page):
            return error(400, f"Invalid page: {page!r}.", param="page")
        skip = int(page[5:])
        with self._lock:
            found = sorted((i for i in self._intents.values() if matches(i)), key=lambda i: i["created"], reverse=True)
            data = copy.deepcopy(found[skip:skip + limit])
        more = len(found) > skip + limit
        # next_page is an opaque cursor in Stripe's answers; ours is page_<offset>.
        return 200, {"object": "search_result", "url": "/v1/payment_intents/search", "has_more": more,
                     "next_page": f"page_{skip + limit}" if more else None, "data": data}, \
            {"Request-Id": "req_" + secrets.token_hex(7)}
