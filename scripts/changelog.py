"""CHANGELOG.md, read: its versions, and one version's section (the release notes).

`python -m scripts.changelog 0.2.0` prints that version's section, as the release
workflow puts it in the GitHub release.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"
_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")


def sections(text: str) -> dict[str, list[str]]:
    """{version: lines of its section}, in the file's order ("Unreleased" included)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = found.setdefault(heading["version"], [])
        elif line.startswith("[") and "]: " in line:
            current = None  # the link definitions at the end
        elif current is not None:
            current.append(line)
    return found


def release_dates(text: str) -> dict[str, str]:
    return {
        match["version"]: match["date"]
        for match in map(_HEADING.match, text.splitlines())
        if match and match["date"]
    }


def notes(version: str, text: str | None = None) -> str:
    """The section of `version`, without its heading; KeyError if there is none."""
    lines = sections(text if text is not None else CHANGELOG.read_text())[version]
    return "\n".join(lines).strip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("version", help="e.g. 0.2.0 (a leading v is dropped)")
    args = parser.parse_args()
    try:
        print(notes(args.version.removeprefix("v")), end="")
    except KeyError:
        sys.exit(f"CHANGELOG.md has no section for {args.version}")


if __name__ == "__main__":
    main()
