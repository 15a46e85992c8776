"""What can go wrong talking to Braze, split into what is retried and what stops the run.

The fatal errors subclass the SDK's `FatalAPIError` so tools that know the SDK treat them
as such. No message built here ever contains the API key (see `client.redact`).
"""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class BrazeFatalError(FatalAPIError):
    """Braze refused the request in a way a retry cannot fix; the run stops at once."""


class BrazeAuthError(BrazeFatalError):
    """401: the key is not valid on this instance."""


class BrazePermissionError(BrazeFatalError):
    """403: the key lacks the permission, or the plan does not include the endpoint."""


class BrazeRequestError(BrazeFatalError):
    """400, 404 and other 4xx: the request itself is wrong."""


class BrazeDataError(BrazeFatalError):
    """A response row is not a valid (date, non-negative integer) pair."""


class BrazeUnavailableError(BrazeFatalError):
    """Transient failures (5xx, timeouts, broken bodies, 429) outlasted every retry."""


class StateError(BrazeFatalError):
    """The state handed to the tap (--state) holds a bookmark it cannot read."""


class TransientError(Exception):
    """One attempt failed in a way worth retrying with backoff."""


class RateLimitedError(Exception):
    """429: retried once the rate-limit window resets (`resume_at`, epoch seconds; `source`
    says where that instant came from).

    Counted apart from `TransientError`: waiting out a rate limit is normal operation and
    must not use up the retries meant for a failing server.
    """

    def __init__(self, source: str, *, resume_at: float) -> None:
        super().__init__(f"HTTP 429 rate limited ({source})")
        self.source = source
        self.resume_at = resume_at


class FetchCancelled(Exception):
    """The run is stopping (another request failed, or the sync was aborted)."""
