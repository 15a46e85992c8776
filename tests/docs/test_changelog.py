"""CHANGELOG.md: Keep a Changelog, a section for every version, the release notes."""

from __future__ import annotations

import subprocess
import sys

from packaging.version import Version

from scripts.changelog import CHANGELOG, notes, release_dates, sections
from tap_braze_dau import __version__
from tests.helpers import ROOT

CATEGORIES = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_every_version_has_a_dated_section_newest_first() -> None:
    text = CHANGELOG.read_text()
    versions = list(sections(text))
    assert versions[0] == "Unreleased"
    released = versions[1:]
    assert released[0] == __version__, "the package's version needs its section"
    assert released == sorted(released, key=Version, reverse=True)
    assert released[-1] == "0.1.0", "a section for every version from the first"
    assert set(release_dates(text)) == set(released)
    for version in released:
        assert f"[{version}]: https://" in text, f"no link for {version}"


def test_sections_use_keep_a_changelog_categories() -> None:
    for version, lines in sections(CHANGELOG.read_text()).items():
        headings = [line[4:] for line in lines if line.startswith("### ")]
        assert set(headings) <= CATEGORIES, (version, headings)
        if version != "Unreleased":
            assert headings, f"{version} says nothing"


def test_the_release_notes_are_the_versions_section() -> None:
    text = notes(__version__)
    assert text.startswith("### Added")
    assert "## [" not in text
    printed = subprocess.run(
        [sys.executable, "-m", "scripts.changelog", f"v{__version__}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert printed == text


def test_the_kpi_family_came_as_a_minor_release() -> None:
    """Semantic versioning: new streams are a minor release over 0.1.0."""
    assert "`mau`" in notes("0.2.0")
    assert "`mau`" not in notes("0.1.0")
