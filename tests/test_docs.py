"""Documentation generated from the code stays generated from the code."""

from __future__ import annotations

from scripts.readme_settings import END, README, START, generated_table, with_table


def test_readme_settings_table_is_the_about_output() -> None:
    readme = README.read_text()
    assert START in readme
    assert END in readme
    assert with_table(readme, generated_table()) == readme, "run `make docs`"


def test_generated_table_lists_every_setting() -> None:
    table = generated_table()
    for name in (
        "api_key",
        "api_url",
        "start_date",
        "end_date",
        "timezone",
        "app_ids",
        "include_workspace_total",
        "lookback_days",
        "window_days",
        "max_history_days",
        "request_timeout",
        "max_retries",
        "max_parallel_requests",
    ):
        assert f"| {name} |" in table, name
