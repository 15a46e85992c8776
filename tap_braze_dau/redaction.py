"""What a message may quote: never the API key, and nothing long.

Every text the tap logs or raises that quotes something from outside (an answer's body,
a header, a setting's value) goes through here: `redact` takes the key out, `shown`
cuts a value short so that a broken answer cannot flood the log.
"""

from __future__ import annotations

import reprlib

#: Shorter "secrets" are not scrubbed: every "k" of a message is not a leak of a key "k".
#: Braze keys are 36-character UUIDs.
MIN_SECRET_LENGTH = 4

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 3
_SHORT.maxlist = _SHORT.maxdict = 5


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced, so keys never reach a log."""
    return text.replace(secret, "<redacted>") if len(secret) >= MIN_SECRET_LENGTH else text


def shown(value: object) -> str:
    """`repr(value)`, cut short: a broken answer must not flood the log."""
    return _SHORT.repr(value)
