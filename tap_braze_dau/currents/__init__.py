"""Braze Currents: every event, from the workspace's own bucket, exactly once.

Braze writes Avro files into the customer's bucket (or any folder the tap can read),
keyed `<prefix>/dataexport.<cluster>.<store>.integration.<id>/event_type=<type>/
date=<YYYY-MM-DD-HH>/<schema-id>/<zone>/<...>+<partition>+<offset>.avro`, the hour being
the one (UTC) its events were queued in. One stream per event type:

- `layout.py`: a key's event type, hour and schema id; the stream name of an event type;
- `avro_schema.py`: an Avro writer schema as a record schema (types, nullability, docs,
  the fields Braze marks [PII]), and the union of two (a field Braze adds);
- `bookmark.py`: which files a run has read (their hour folders within the look-back),
  the first hour a run lists, and what STATE keeps: bounded whatever the history;
- `bucket.py`: the event types under `currents_url`, their newest file's schema
  (discovery), and the files no earlier run finished (listings only);
- `stream.py`: the Singer stream, file after file, records written as they are decoded.

Files are read through the tap's one storage layer (`tap_braze_dau/storage/`), and
personal data follows the tap's one rule (`tap_braze_dau/personal_data.py`).
"""
