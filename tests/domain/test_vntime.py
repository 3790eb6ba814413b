"""Vietnam's time: one fixed GMT+7 offset gives the date and wall time the time-zone database gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from einvoice.domain.vntime import local_date, local_time


def test_a_moment_after_five_pm_utc_is_the_next_day_in_vietnam() -> None:
    """17:00 UTC is midnight in Vietnam: the document is dated the next day."""
    assert local_date(datetime(2026, 3, 1, 16, 59, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert local_date(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)) == date(2026, 3, 2)


def test_the_fixed_offset_agrees_with_asia_ho_chi_minh_since_1976() -> None:
    """Every 1000 hours from 1976 to 2040 the fixed offset and the tz database give the same wall time."""
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    moment = datetime(1976, 1, 1, tzinfo=UTC)
    while moment.year < 2040:
        assert local_time(moment).replace(tzinfo=None) == moment.astimezone(zone).replace(tzinfo=None), moment
        moment += timedelta(hours=1000)


def test_a_naive_moment_is_refused() -> None:
    """A moment without a time zone has no date in Vietnam."""
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 3, 1, 12, 0))
