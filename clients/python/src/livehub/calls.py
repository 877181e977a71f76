"""What the sync and async clients share: a call described as data (`Call`), the answer read
into a value or an exception (`read_answer`), and when to try again (`RetryPolicy`). The
clients only move bytes and sleep, so both behave the same by construction."""
import enum
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Dict, Mapping, Optional

import httpx

from .errors import RateLimited, Unavailable, error_from_answer


class Retry(enum.Enum):
    """When a call may be sent again after a failure whose outcome is unknown."""
    # Whatever happened: a read, a ledger write (the hub answers a repeated reference with
    # the original transaction, so a retry never charges twice), a mark or a preference set.
    ALWAYS = "always"
    # Only when the hub surely did not act on it: the connection was never made, or the hub
    # said so (503, 429). A lost answer to a payment event or a posted notification may mean
    # it was recorded: repeating it would record it twice.
    IF_NOT_DONE = "if_not_done"


def _json_default(value: Any) -> Any:
    # Money goes out as a decimal string ("12.50"): the hub reads it exactly, never as a float.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _body_as_is(status: int, headers: Mapping[str, str], body: Any) -> Any:
    return body


@dataclass
class Call:
    method: str
    path: str
    params: Optional[Dict[str, Any]] = None
    json_body: Any = None
    # A body sent byte for byte (a signed webhook: its signature covers these bytes).
    raw_body: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    retry: Retry = Retry.ALWAYS
    # Whether the client's credential goes with it; never to a webhook endpoint, which logs
    # the headers it receives.
    authenticated: bool = True
    parse: Callable[[int, Mapping[str, str], Any], Any] = _body_as_is

    @property
    def content(self) -> Optional[bytes]:
        if self.raw_body is not None:
            return self.raw_body
        if self.json_body is None:
            return None
        return json.dumps(self.json_body, default=_json_default, separators=(",", ":")).encode("utf-8")

    def request_headers(self, credential: Optional[str]) -> Dict[str, str]:
        headers = dict(self.headers)
        if self.content is not None:
            headers.setdefault("Content-Type", "application/json")
        if self.authenticated and credential:
            headers["Authorization"] = "Bearer " + credential
        return headers

    def query(self) -> Optional[Dict[str, Any]]:
        # None means "not given": the hub reads an absent parameter as its default.
        if not self.params:
            return None
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.params.items() if v is not None}


def read_answer(call: Call, status: int, headers: Mapping[str, str], content: bytes) -> Any:
    """The call's value, or the hub's refusal raised as its `LiveHubError` subclass.
    Decimals in the answer become `Decimal` (amounts are exact in the hub)."""
    body: Any = None
    if content:
        try:
            body = json.loads(content, parse_float=Decimal)
        except ValueError:
            body = content.decode("utf-8", "replace")
    if status >= 400:
        raise error_from_answer(status, headers, body)
    return call.parse(status, headers, body)


# What a transport raises when the outcome is unknown (the request may have been acted on)
# versus when the hub surely never saw it.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """Tries a failed call again up to `max_retries` times, waiting `first_wait` seconds,
    doubled each time, with jitter (so many clients refused together do not come back
    together), at most `max_wait`; a 429 waits its `Retry-After`, unless that is longer than
    `max_wait` (then the `RateLimited` is raised for the caller to decide)."""
    max_retries: int = 3
    first_wait: float = 0.2
    max_wait: float = 8.0

    def wait_before_retry(self, call: Call, attempt: int, error: BaseException) -> Optional[float]:
        """Seconds to wait before attempt `attempt + 1`, or None to raise `error`."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, RateLimited):
            return error.retry_after if error.retry_after <= self.max_wait else None
        unknown_outcome = isinstance(error, httpx.TransportError) and not isinstance(error, _NEVER_SENT)
        if not isinstance(error, (Unavailable, httpx.TransportError)) or (unknown_outcome and call.retry is not Retry.ALWAYS):
            return None
        return min(self.max_wait, self.first_wait * (2 ** attempt)) * random.uniform(0.5, 1.0)


NO_RETRIES = RetryPolicy(max_retries=0)


class Transaction(dict):
    """A ledger transaction as the hub wrote it (`id`, `user_id`, `amount`, `type`, …,
    `balance_after`). `created` is False when the hub answered a repeated reference with the
    original (200): this call charged nothing."""

    def __init__(self, fields: Mapping[str, Any], created: bool):
        super().__init__(fields)
        self.created = created


class Page(list):
    """A list the hub answers in pages; `next_before` is where the next one starts
    (pass it as `before=`), or None at the end."""

    def __init__(self, items: Any, next_before: Optional[str]):
        super().__init__(items or [])
        self.next_before = next_before
