"""Braze's user-level exports: who the users are, the addresses to leave alone, and the
definitions behind the messages. A source of its own beside the analytics (`plan/`) and
Currents (`currents/`):

- `users.py`: every profile of a segment (`POST /users/export/segment`), an asynchronous
  export read from Braze's download URL (`download.py`) or from the workspace's own
  bucket (`export_bucket.py`, through the storage layer, `tap_braze_dau/storage/`), the
  waits in `polling.py`; `archive.py` reads the files line by line, never whole in
  memory; `users_stream.py` is the stream;
- `suppressions.py`: the hard bounces and unsubscribes, by windows of days, page by
  page, incremental on their instant;
- `definitions.py`: Content Blocks and email templates, the list and each changed
  item's info merged, incremental on when they were last edited;
- `records.py`: what their records hold, typed where Braze is consistent, and which
  fields are personal data (the tap's one rule, `tap_braze_dau/personal_data.py`);
- `streams.py`: the suppression lists' and the definitions' streams.

The segments' details are a details stream like the campaigns' (`tap_braze_dau/streams.py`).
"""
