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


#: A run of this many characters of a secret is taken for a piece of it: a message cut
#: short (`shown`, a body's first bytes) may hold half a key, which `replace` misses.
MIN_FRAGMENT_LENGTH = 8

#: Longer secrets (a service account's JSON), and those made of parts (a connection
#: string, a URL), hold common words; only whole occurrences of them are taken out,
#: lest every "service_account" or "127.0.0.1" of a message go.
MAX_FRAGMENTED_SECRET_LENGTH = 256

REDACTED = "<redacted>"


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced, and every piece of it of
    `MIN_FRAGMENT_LENGTH` characters or more, so keys never reach a log, whole or cut."""
    if len(secret) < MIN_SECRET_LENGTH:
        return text
    text = text.replace(secret, REDACTED)
    return _without_fragments(text, secret) if _is_token(secret) else text


def _is_token(secret: str) -> bool:
    """A key or a token: one opaque word, whose every piece is as secret as the whole."""
    return (
        MIN_FRAGMENT_LENGTH < len(secret) <= MAX_FRAGMENTED_SECRET_LENGTH
        and "://" not in secret
        and ";" not in secret
        and not any(character.isspace() for character in secret)
    )


def _without_fragments(text: str, secret: str) -> str:
    size = MIN_FRAGMENT_LENGTH
    pieces = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    kept: list[str] = []
    start = i = 0
    while i <= len(text) - size:
        if text[i : i + size] not in pieces:
            i += 1
            continue
        end = i + size
        while end < len(text) and text[i : end + 1] in secret:
            end += 1
        kept += [text[start:i], REDACTED]
        start = i = end
    kept.append(text[start:])
    return "".join(kept)


def redact_within(value: object, secret: str, depth: int = 8) -> object:
    """`value` (a decoded JSON answer) with `secret` taken out of every string in it, keys
    included, before `shown` cuts it short; deeper than `depth`, a value goes whole."""
    if isinstance(value, str):
        return redact(value, secret)
    if depth <= 0 and isinstance(value, (dict, list)):
        return REDACTED
    if isinstance(value, dict):
        return {
            redact_within(k, secret, depth - 1): redact_within(v, secret, depth - 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_within(item, secret, depth - 1) for item in value]
    return value


def shown(value: object) -> str:
    """`repr(value)`, cut short: a broken answer must not flood the log."""
    return _SHORT.repr(value)
