"""Every error of the tap, in one place: those that reach the user, and those that don't.

```
Exception
├── FatalAPIError (singer-sdk)            tools that know the SDK treat these as fatal
│   └── BrazeFatalError                   stops the run; the CLI prints it, exit 1
│       ├── BrazeAuthError                401: the key is not valid on this instance
│       ├── BrazePermissionError          403: the key lacks the stream's permission
│       ├── BrazeRequestError             400, 404, other 4xx: the request is wrong
│       ├── BrazeDataError                a row of an answer is not valid data
│       ├── BrazeUnavailableError         transient failures outlasted every retry
│       ├── StateError                    the --state holds a bookmark it cannot read
│       ├── StorageError                  a bucket or folder refused or failed a listing
│       │                                 or a read (storage/store.py)
│       └── CurrentsFileError             a Currents file that cannot be decoded
│
│   internal signals: raised and caught inside braze/, never shown as they are
├── TransientError                        one attempt failed; retried with backoff
│   └── AbandonedAttempt                  ...by running out of time: its session is dropped
├── RateLimitedError                      429; retried once the pool's window resets
├── PoolHeld                              a job's pool is held: run another job first
├── Busy                                  a 429 that means "not now" (an export running)
└── FetchCancelled                        the run is stopping; pending requests give up
```

Configuration errors are the SDK's `ConfigValidationError`, one message per setting
(singer/settings.py). No message built anywhere ever contains the API key: every text an
answer or a setting contributes passes through `redaction.redact`.
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
    """400, 404 and other 4xx: the request itself is wrong. `status` is the HTTP status
    (0 for a redirect refused), `braze_says` Braze's own message (both redacted)."""

    def __init__(self, message: str, *, status: int = 0, braze_says: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.braze_says = braze_says


class BrazeDataError(BrazeFatalError):
    """A response row is not a valid (date, non-negative value) pair."""


class BrazeUnavailableError(BrazeFatalError):
    """Transient failures (5xx, timeouts, broken bodies, 429) outlasted every retry."""


class StateError(BrazeFatalError):
    """The state handed to the tap (--state) holds a bookmark it cannot read."""


class StorageError(BrazeFatalError):
    """A bucket (or local folder) refused or failed an operation; the message names the
    location, the operation and where the credentials came from, never a secret.
    `refused`: the store said access denied (401, 403)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class CurrentsFileError(BrazeFatalError):
    """A Currents file that is not a readable Avro file of an event type; `key` names it
    (relative to `currents_url`)."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


class TransientError(Exception):
    """One attempt failed in a way worth retrying with backoff."""


class AbandonedAttempt(TransientError):
    """The attempt ran out of `request_timeout` and was left to finish on its own thread:
    its `requests.Session` may still be in use there, so no later request shares it."""


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


class PoolHeld(Exception):
    """The job's pool is held (a 429, or the reserve) before its request was sent, or
    between two of its retries (which carry over: `BrazeClient.fetch`):
    the fetcher puts it back and runs a job of another pool meanwhile."""


class Busy(Exception):
    """A 429 to a request whose 429 means the thing asked for is busy (a second export of
    a segment while one runs), not that the pool is spent: retried with backoff by the
    caller, never by waiting for the pool's reset."""


class FetchCancelled(Exception):
    """The run is stopping (another request failed, or the sync was aborted)."""
