"""Vietnam's time (giờ Việt Nam), the one definition: documents are dated, and signing times written, in it.

Vietnam keeps GMT+7 all year and has had no daylight saving since 1975, so a fixed offset is exact for every date a
document can carry and needs no time-zone database (choice 14). Moments are stored in UTC; this module turns them into
the local date of a document and the local wall time an XML date-time states without offset.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final

#: Asia/Ho_Chi_Minh: GMT+7, no daylight saving.
VIETNAM_TIME: Final = timezone(timedelta(hours=7), "ICT")


def local_date(moment: datetime) -> date:
    """Return the date in Vietnam of an aware ``moment`` (the issue date of a document issued then)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the moment must be an aware datetime")
    return moment.astimezone(VIETNAM_TIME).date()


def local_time(moment: datetime) -> datetime:
    """Return the aware ``moment`` as Vietnam wall time."""
    return moment.astimezone(VIETNAM_TIME)
