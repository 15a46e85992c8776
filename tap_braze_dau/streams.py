"""Every stream the tap offers, each one declaration (see declarations.py).

A further series of an existing shape is one more entry here; the settings, the
documentation, the plugin definitions and the tests follow from this list.
"""

from __future__ import annotations

from types import MappingProxyType

from tap_braze_dau.declarations import Endpoint, StreamDeclaration, Value

DAU = StreamDeclaration(
    name="dau",
    endpoint=Endpoint(path="/kpi/dau/data_series", permission="kpi.dau.data_series"),
    values=(Value("dau", "Daily active users: unique users active on that day (today: so far)."),),
    selected_by_default=True,  # what a run without a catalog syncs
)

MAU = StreamDeclaration(
    name="mau",
    endpoint=Endpoint(path="/kpi/mau/data_series", permission="kpi.mau.data_series"),
    values=(
        Value("mau", "Monthly active users: unique users active in the 30 days ending that day."),
    ),
)

NEW_USERS = StreamDeclaration(
    name="new_users",
    endpoint=Endpoint(path="/kpi/new_users/data_series", permission="kpi.new_users.data_series"),
    values=(Value("new_users", "New users: users first seen on that day."),),
)

UNINSTALLS = StreamDeclaration(
    name="uninstalls",
    endpoint=Endpoint(path="/kpi/uninstalls/data_series", permission="kpi.uninstalls.data_series"),
    values=(Value("uninstalls", "Uninstalls: app uninstalls detected on that day."),),
)

SESSIONS = StreamDeclaration(
    name="sessions",
    endpoint=Endpoint(
        path="/sessions/data_series",
        permission="sessions.data_series",
        params=MappingProxyType({"unit": "day"}),  # never hourly points
    ),
    values=(Value("sessions", "Sessions: sessions started on that day."),),
)

#: Every stream, in no particular order (the SDK syncs them by name).
STREAMS: tuple[StreamDeclaration, ...] = (DAU, MAU, NEW_USERS, UNINSTALLS, SESSIONS)
BY_NAME = {declaration.name: declaration for declaration in STREAMS}
