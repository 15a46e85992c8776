"""Documentation and plugin definitions generated from the code stay generated from it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scripts import generated, plugin_definitions
from scripts.readme_settings import END, README, START, generated_table, with_table
from tests.helpers import DOCUMENTED_SETTINGS, ROOT


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
    named = {name for path, name in _referenced_tests() if path == "tests/e2e/test_faults.py"}
    assert _defined_tests("tests/e2e/test_faults.py") == named


def test_nothing_generated_has_drifted_from_the_code() -> None:
    stale = generated.drifted(generated.wanted())
    assert stale == [], f"{[p.name for p in stale]} drifted: run `make docs`"


@pytest.fixture(scope="module")
def about() -> dict[str, Any]:
    return plugin_definitions.about()


def extractor_in_meltano_yml() -> dict[str, Any]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    (extractor,) = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-braze-dau"]
    return dict(extractor)


@pytest.mark.parametrize("where", ["tap-braze-dau.yml", "meltano.yml"])
def test_the_plugin_definitions_declare_everything_about_reports(
    about: dict[str, Any], where: str
) -> None:
    definition = (
        yaml.safe_load((ROOT / where).read_text())
        if where == "tap-braze-dau.yml"
        else extractor_in_meltano_yml()
    )
    assert definition["capabilities"] == about["capabilities"]
    assert len(about["capabilities"]) == 8
    properties = about["settings"]["properties"]
    settings = {s["name"]: s for s in definition["settings"]}
    assert list(settings) == list(properties)
    for name, schema in properties.items():
        assert settings[name]["kind"], name
        assert settings[name]["description"] == schema["description"], name
        if "default" in schema:
            assert settings[name]["value"] == schema["default"], name
        else:
            assert "value" not in settings[name], name
    assert [name for name, s in settings.items() if s.get("sensitive")] == [
        "api_key",
        "currents_storage_options",
        "pii_hash_key",
        "users_export_storage_options",
    ]
    # the API key, or a Currents bucket alone (a run of Currents streams needs no key)
    assert definition["settings_group_validation"] == [["api_key"], ["currents_url"]]
    assert definition["executable"] == "tap-braze-dau"
    assert definition["namespace"] == "tap_braze_dau"


def test_the_hub_definition_has_the_hubs_fields() -> None:
    definition = yaml.safe_load((ROOT / "tap-braze-dau.yml").read_text())
    for field in (
        "name",
        "namespace",
        "variant",
        "label",
        "description",
        "pip_url",
        "repo",
        "docs",
    ):
        assert definition[field], field
    assert definition["pip_url"] == "tap-braze-dau"


def test_the_project_syncs_dau_by_default_and_installs_from_the_checkout() -> None:
    extractor = extractor_in_meltano_yml()
    assert extractor["select"] == ["dau.*"]
    assert extractor["pip_url"] == "-e ."


def _lint_commands() -> list[str]:
    """The commands of the Makefile's lint recipe, with $(BIN) spelled .venv/bin."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = lines.index("lint: $(VENV)/.installed") + 1
    commands = []
    for line in lines[start:]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().replace("$(BIN)/", ".venv/bin/"))
    return commands


def test_pre_commit_runs_what_make_lint_runs() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    # pre-commit hands ruff the changed files (hence no " ." and --force-exclude, which
    # keeps ruff's own excludes for files named explicitly)
    entries = {
        hook["entry"].replace(" --force-exclude", "")
        for repo in config["repos"]
        for hook in repo["hooks"]
    }
    commands = {command.removesuffix(" .") for command in _lint_commands()}
    assert len(commands) == 5
    assert entries == commands
