"""Everything generated from the code, written or checked in one place.

- README.md's settings table (`scripts.readme_settings`);
- tap-braze-dau.yml and meltano.yml's extractor (`scripts.plugin_definitions`).

`python -m scripts.generated --write` rewrites them (`make docs`); `--check` exits 1
naming what has drifted (`make lint`; tests/docs/test_docs.py checks the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts import plugin_definitions, readme_settings


def wanted() -> dict[Path, str]:
    readme = readme_settings.README
    return {
        readme: readme_settings.with_table(readme.read_text(), readme_settings.generated_table()),
        **plugin_definitions.wanted(),
    }


def drifted(files: dict[Path, str]) -> list[Path]:
    return [path for path, text in files.items() if not path.exists() or path.read_text() != text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    files = wanted()
    stale = drifted(files)
    if args.write:
        for path in stale:
            path.write_text(files[path])
            print(f"rewrote {path.name}")
    elif stale:
        names = ", ".join(path.name for path in stale)
        sys.exit(f"{names}: not what `tap-braze-dau --about` says; run `make docs`")


if __name__ == "__main__":
    main()
