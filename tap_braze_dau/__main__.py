"""`python -m tap_braze_dau` runs the tap's command line."""

from tap_braze_dau.tap import TapBrazeDau

TapBrazeDau.cli()
