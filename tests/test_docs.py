"""Documentation generated from the code stays generated from the code."""

from __future__ import annotations

from scripts.readme_settings import END, README, START, generated_table, with_table
from tests.helpers import DOCUMENTED_SETTINGS


def test_readme_settings_table_is_the_about_output() -> None:
    readme = README.read_text()
    assert START in readme
    assert END in readme
    assert with_table(readme, generated_table()) == readme, "run `make docs`"


def test_generated_table_lists_every_setting() -> None:
    table = generated_table()
    for name in DOCUMENTED_SETTINGS:
        assert f"| {name} |" in table, name


RELIABILITY = README.parent / "docs" / "reliability.md"


def _referenced_tests() -> set[tuple[str, str]]:
    import re

    found = set()
    for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)", RELIABILITY.read_text()):
        found.add((path, name))
    return found


def _defined_tests(path: str) -> set[str]:
    import ast

    tree = ast.parse((README.parent / path).read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_named_in_the_fault_table_exists() -> None:
    referenced = _referenced_tests()
    assert len(referenced) > 20
    for path, name in referenced:
        assert name in _defined_tests(path), f"{path}::{name} is in docs/reliability.md only"


def test_every_fault_test_has_a_row_in_the_fault_table() -> None:
    named = {name for path, name in _referenced_tests() if path == "tests/test_faults.py"}
    assert _defined_tests("tests/test_faults.py") == named
