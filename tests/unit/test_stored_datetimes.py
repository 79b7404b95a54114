"""How timestamps are written to SQLite: the text must be exactly what SQLAlchemy's own DATETIME would write,
or range queries over rows written before and after would compare differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from storage.models.base import UTCDateTime

SQLITE = sqlite.dialect()
OURS = UTCDateTime().bind_processor(SQLITE)
SQLALCHEMYS = DateTime(timezone=True).dialect_impl(SQLITE).bind_processor(SQLITE)


def as_sqlalchemy_writes(value: datetime) -> str:
    return SQLALCHEMYS(value.astimezone(UTC).replace(tzinfo=None))


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), timezone(timedelta(hours=-7, minutes=-30))]),
    )
)
def test_sqlite_text_is_sqlalchemys(value: datetime) -> None:
    assert OURS is not None
    assert OURS(value) == as_sqlalchemy_writes(value)


def test_sqlite_text_shape() -> None:
    assert OURS is not None
    assert OURS(datetime(2026, 11, 23, 9, 5, tzinfo=UTC)) == "2026-11-23 09:05:00.000000"
    assert OURS(datetime(2026, 11, 23, 10, 5, 1, 7, tzinfo=ZoneInfo("Europe/Berlin"))) == "2026-11-23 09:05:01.000007"
    assert OURS(None) is None


def test_naive_datetimes_are_refused_on_every_database() -> None:
    assert OURS is not None
    with pytest.raises(ValueError, match="naive"):
        OURS(datetime(2026, 11, 23))
    on_postgresql = UTCDateTime().bind_processor(postgresql.asyncpg.dialect())
    with pytest.raises(ValueError, match="naive"):
        on_postgresql(datetime(2026, 11, 23)) if on_postgresql else UTCDateTime().process_bind_param(
            datetime(2026, 11, 23), postgresql.asyncpg.dialect()
        )
