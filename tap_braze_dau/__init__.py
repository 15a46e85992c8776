"""tap-braze-dau: Braze daily active users as a Singer tap."""

# The single source of the version (pyproject.toml reads it from here): a literal, because
# looking it up in the installed metadata costs ~40 ms at every start.
__version__ = "0.1.0"
