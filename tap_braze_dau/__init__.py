"""tap-braze-dau: Braze's KPI data series (DAU, MAU, new users, uninstalls, sessions)."""

# The single source of the version (pyproject.toml reads it from here): a literal, because
# looking it up in the installed metadata costs ~40 ms at every start.
__version__ = "0.2.0"
