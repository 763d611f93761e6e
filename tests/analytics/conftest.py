from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.scenario import Day, build_day


@pytest.fixture
def day(clock: Any, admin: Any, make_staff: Any, make_tag: Any, make_channel: Any, make_visitor: Any) -> Day:
    return build_day(
        clock=clock,
        admin=admin,
        make_staff=make_staff,
        make_tag=make_tag,
        make_channel=make_channel,
        make_visitor=make_visitor,
    )
