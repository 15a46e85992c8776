"""tap-braze-dau: Braze for any Singer target: the analytics (the KPIs, sessions, custom
events, purchases, segments, campaigns and Canvases), the events of Currents, and the
user-level exports (profiles, suppression lists, Content Blocks, email templates).

Where things are: `streams.py` declares every analytics stream; `braze/` talks HTTP to
Braze, `plan/` decides what to request and when to write STATE, `currents/` reads
Currents' files and `exports/` the user exports (both through `storage/`, under the one
`personal_data.py` rule), `singer/` is the Singer side, and `tap.py` ties them together.
docs/architecture.md draws the folders and follows a record and a STATE to stdout.
"""

# The single source of the version (pyproject.toml reads it from here): a literal, because
# looking it up in the installed metadata costs ~40 ms at every start.
__version__ = "0.2.0"
