"""tap-braze-dau: Braze's analytics for any Singer target: the KPIs (DAU, MAU, new users,
uninstalls), sessions, custom events, purchases, segments, campaigns and Canvases.

Where things are: `streams.py` declares every stream; `braze/` talks HTTP to Braze,
`plan/` decides what to request and when to write STATE, `singer/` is the Singer side,
and `tap.py` ties them together. docs/architecture.md draws the folders and follows a
record and a STATE from Braze to stdout.
"""

# The single source of the version (pyproject.toml reads it from here): a literal, because
# looking it up in the installed metadata costs ~40 ms at every start.
__version__ = "0.2.0"
