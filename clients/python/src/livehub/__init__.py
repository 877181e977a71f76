"""LiveHub's server SDK: `LiveHub` (sync) and `AsyncLiveHub` (asyncio) over one
implementation, token minting, typed errors and test webhook signing."""
from .calls import NO_RETRIES, Page, Retry, RetryPolicy, Transaction
from .client import AsyncLiveHub, LiveHub
from .errors import (BadRequest, Conflict, Forbidden, LiveHubError, NotFound, RateLimited, ReferenceConflict, ServerError,
                     Unauthorized, Unavailable)
from .tokens import MAX_LIFETIME, mint_token, read_secret_file
from . import webhooks

__all__ = ["LiveHub", "AsyncLiveHub", "RetryPolicy", "NO_RETRIES", "Retry", "Transaction", "Page", "LiveHubError",
           "BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "ReferenceConflict", "RateLimited",
           "Unavailable", "ServerError", "mint_token", "read_secret_file", "MAX_LIFETIME", "webhooks"]
