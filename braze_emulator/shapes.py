"""Where real answers differ from Braze's docs: what `answer_shapes="captured"` changes.

Answers recorded from real workspaces by other projects (the project's notes on Braze's
API, "What real answers showed") agree with the docs in most things, but not in these,
which the emulator reproduces when asked:
- error bodies are usually `{"message": ...}` alone, and where `errors` is present it
  holds objects (`{"id", "message", "parameters", "parameter_values"}`), not strings;
- a 401's `X-RateLimit-*` headers are present but empty, and its message echoes the key
  as sent: `Invalid API key: <the key>`;
- `/segments/list` puts `"message": "success"` after the list;
- list timestamps come with `+00:00` and with `Z` (campaigns, Canvases; Content Blocks,
  email templates and segment details alike, by `zulu_by`);
- a campaign's day has a channel with an empty list (`"sms": []`), email entries with
  `variation_api_id` but no `variation_name` and with metrics the docs do not list
  (`machine_open`, `machine_amp_open`); a push control group's entry has `enrolled`
  instead of `sent`; `conversions1..3` are there whether configured or not;
- a Canvas' `total_stats` carries `conversions1..N` and `conversionsN_by_entry_time`
  beside the documented fields, and a day without breakdowns holds no `variant_stats`
  or `step_stats` keys at all (not null, not `{}`). When Braze leaves them out of an
  answer that asked for them is not known; the emulator leaves them out of the days on
  which nothing entered, so that a client that always asks (as the tap does) meets the
  shape too.
Each function takes what the documented shape would be and returns the captured one.
"""

from __future__ import annotations

import zlib
from typing import Any

#: The emulator's `answer_shapes`: as Braze documents them, or as real answers were.
ANSWER_SHAPES = ("documented", "captured")


def error_body(
    message: str, parameter: str | None = None, value: str | None = None
) -> dict[str, Any]:
    """A 4xx body: `{"message"}` alone, or with `errors` objects naming the parameter."""
    if parameter is None:
        return {"message": message}
    return {
        "message": message,
        "errors": [
            {
                "id": f"invalid_{parameter}",
                "message": message,
                "parameters": [parameter],
                "parameter_values": [value],
            }
        ],
    }


def unauthorized(sent_key: str) -> dict[str, Any]:
    """A 401's body, echoing the key as it was sent."""
    return {"message": f"Invalid API key: {sent_key}"}


def empty_rate_limit_headers(headers: dict[str, str]) -> dict[str, str]:
    """The same header names, every value empty (as a real 401 had them)."""
    return dict.fromkeys(headers, "")


def message_last(body: dict[str, Any]) -> dict[str, Any]:
    """The body with `message` after the list."""
    rest = {k: v for k, v in body.items() if k != "message"}
    return {**rest, "message": body["message"]}


def zulu(item: dict[str, Any], field: str) -> dict[str, Any]:
    """Every other item (by a hash of its id) writes `field` with `Z` for `+00:00`."""
    value = item.get(field)
    if isinstance(value, str) and zlib.crc32(str(item.get("id")).encode()) % 2:
        return {**item, field: value.replace("+00:00", "Z")}
    return item


def zulu_by(item_id: str, item: dict[str, Any], *fields: str) -> dict[str, Any]:
    """Every other item (by a hash of `item_id`) writes `fields` with `Z` for `+00:00`."""
    if not zlib.crc32(item_id.encode()) % 2:
        return item
    changed = dict(item)
    for field in fields:
        value = changed.get(field)
        if isinstance(value, str):
            changed[field] = value.replace("+00:00", "Z")
    return changed


#: Email metrics real answers carry that the docs do not list.
EMAIL_EXTRAS = ("machine_open", "machine_amp_open")


def campaign_row(row: dict[str, Any]) -> dict[str, Any]:
    """A campaign's day as real answers had it (see the module docstring)."""
    messages: dict[str, list[dict[str, Any]]] = {}
    for channel, entries in row["messages"].items():
        captured = []
        for entry in entries:
            entry = dict(entry)
            if channel == "email" and entry.get("variation_name") != "Control Group":
                entry.pop("variation_name", None)
                for extra in EMAIL_EXTRAS:
                    entry[extra] = entry.get("opens", 0) // 3
            captured.append(entry)
        messages[channel] = captured
    if "sms" not in messages:
        messages["sms"] = []
    revenue = row.get("revenue")
    return {**row, "messages": messages, "revenue": float(revenue or 0)}


def canvas_row(row: dict[str, Any]) -> dict[str, Any]:
    """A Canvas' day with `conversions1..3` (and by entry time) in `total_stats`, and no
    `variant_stats` or `step_stats` on a day nothing entered (see the module docstring)."""
    totals = dict(row["total_stats"])
    for n in (1, 2, 3):
        totals[f"conversions{n}"] = totals["conversions"] // (n + 1)
        totals[f"conversions{n}_by_entry_time"] = totals["conversions_by_entry_time"] // (n + 1)
    captured = {**row, "total_stats": totals}
    if not totals["entries"]:
        captured.pop("variant_stats", None)
        captured.pop("step_stats", None)
    return captured
