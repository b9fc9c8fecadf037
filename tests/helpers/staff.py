"""Staff tests' clock: a Tuesday 10:00 in Bogotá, inside the contact window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BOGOTA = ZoneInfo("America/Bogota")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA)
