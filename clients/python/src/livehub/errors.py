"""The hub's refusals as exceptions. Every error answer is
`{"error": {"code", "message", ...}}` with its status (Sources/LiveHubServer/Routing/APIError.swift);
the class says what a caller can do about it, `code` says exactly what happened."""
from typing import Any, Mapping, Optional


class LiveHubError(Exception):
    """Any error answer from the hub. `status` is the HTTP status, `code` the hub's error
    code (`invalid_transaction`, `wrong_user`, …), `body` the whole parsed answer."""

    # Whether the same call may simply be made again later (the hub changed nothing).
    retryable = False

    def __init__(self, status: int, code: str, message: str, body: Any = None, headers: Optional[Mapping[str, str]] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.headers = dict(headers or {})


class BadRequest(LiveHubError):
    """400: the request is malformed; the message names the field."""


class Unauthorized(LiveHubError):
    """401: no credential, a bad or expired token, or a webhook whose signature fails."""


class Forbidden(LiveHubError):
    """403: the credential's scope may not do this (`wrong_user`: another user's data)."""


class NotFound(LiveHubError):
    """404: no such route, transaction or payment (`unknown_payment`: nothing was recorded)."""


class Conflict(LiveHubError):
    """409: the state forbids it (`not_creditable`, `confirmation_used`, …)."""


class ReferenceConflict(Conflict):
    """409 `reference_conflict`: the ledger reference was used before for another user,
    amount or type. `transaction` is the stored one (amounts as Decimal); nothing was
    recorded by this call."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        error = (self.body or {}).get("error", {}) if isinstance(self.body, dict) else {}
        self.transaction = error.get("transaction")


class RateLimited(LiveHubError):
    """429: over a rate limit (reads per credential, webhooks per address, sign-ins).
    `retry_after` is the hub's `Retry-After`, in seconds."""

    retryable = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        try:
            self.retry_after = max(0.0, float(self.headers.get("retry-after", "1")))
        except ValueError:
            self.retry_after = 1.0


class Unavailable(LiveHubError):
    """503: the hub cannot take or give this now and changed nothing: the records database
    refused the write (`database_unavailable`), too many reads wait (`busy`), a read ran
    past its deadline (`read_deadline`), the connection limit. Try again."""

    retryable = True


class ServerError(LiveHubError):
    """Any other 5xx, or an answer that is not the hub's error shape."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
              429: RateLimited, 503: Unavailable}


def error_from_answer(status: int, headers: Mapping[str, str], body: Any) -> LiveHubError:
    """The exception for one error answer, read from the hub's body (or from the status
    alone when something in between answered instead: a proxy's HTML 502)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    else:
        code, message = f"http_{status}", f"an answer without the hub's error body ({status})"
    if status == 409 and code == "reference_conflict":
        cls = ReferenceConflict
    else:
        cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else LiveHubError)
    return cls(status, code, message, body=body, headers=lowered)
