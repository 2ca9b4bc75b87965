"""core.localtime: local date-times across daylight-saving changes (issue #13 item 8e).

The autumn repeated hour can be entered (the field asks which instant, then takes it); a
spring-forward time that does not exist gets a clear error; ordinary times are as before.
London: back at 02:00 BST on Sun 25 Oct 2026, forward at 01:00 GMT on Sun 29 Mar 2026.
New York: back at 02:00 EDT on Sun 1 Nov 2026, forward at 02:00 EST on Sun 8 Mar 2026."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from eapcase.core.localtime import (
    LocalDateTimeField,
    MissingLocalTime,
    RepeatedLocalTime,
    aware_from_local,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


class WhenForm(forms.Form):
    at = LocalDateTimeField(label="When")


def _form(zone: ZoneInfo, data: dict[str, str]) -> tuple[WhenForm, str]:
    with timezone.override(zone):
        form = WhenForm(data)
        form.is_valid()
        return form, str(form["at"])


# --- the conversion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "local", "first", "second"),
    [
        (LONDON, datetime(2026, 10, 25, 1, 30), "00:30", "01:30"),
        (NEW_YORK, datetime(2026, 11, 1, 1, 30), "05:30", "06:30"),
        (LONDON, datetime(2026, 10, 25, 1, 0), "00:00", "01:00"),
        (LONDON, datetime(2026, 10, 25, 1, 59), "00:59", "01:59"),
    ],
)
def test_a_repeated_time_needs_a_choice_and_takes_either(
    zone: ZoneInfo, local: datetime, first: str, second: str
) -> None:
    with pytest.raises(RepeatedLocalTime):
        aware_from_local(local, zone)
    assert f"{aware_from_local(local, zone, '0'):%H:%M}" == first
    assert f"{aware_from_local(local, zone, '1'):%H:%M}" == second


@pytest.mark.parametrize(
    ("zone", "local", "message"),
    [
        (
            LONDON,
            datetime(2026, 3, 29, 1, 30),
            "There is no 01:30 on Sun 29 Mar 2026 in Europe/London: the clocks go forward from "
            "01:00 to 02:00. Enter the time the clock showed: before 01:00, or from 02:00.",
        ),
        (
            NEW_YORK,
            datetime(2026, 3, 8, 2, 0),
            "There is no 02:00 on Sun 8 Mar 2026 in America/New_York: the clocks go forward "
            "from 02:00 to 03:00. Enter the time the clock showed: before 02:00, or from 03:00.",
        ),
    ],
)
def test_a_skipped_time_is_refused_with_what_to_enter(
    zone: ZoneInfo, local: datetime, message: str
) -> None:
    with pytest.raises(MissingLocalTime) as raised:
        aware_from_local(local, zone, "1")  # no choice makes it exist
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        (LONDON, datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (LONDON, datetime(2026, 3, 29, 2, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (LONDON, datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 11, 1, 0, 59), datetime(2026, 11, 1, 4, 59, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 7, 4, 12, 0), datetime(2026, 7, 4, 16, 0, tzinfo=UTC)),
    ],
)
def test_ordinary_times_beside_the_changes(zone: ZoneInfo, local: datetime, utc: datetime) -> None:
    assert aware_from_local(local, zone) == utc
    assert aware_from_local(local, zone, "1") == utc  # a choice for a plain time is ignored


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)))
def test_every_instant_shown_locally_can_be_entered_back(local: datetime) -> None:
    """What a page shows (an instant in local time, with its fold) converts back to it."""
    for zone in (LONDON, NEW_YORK):
        instant = local.replace(tzinfo=UTC)
        shown = instant.astimezone(zone)
        back = aware_from_local(shown.replace(tzinfo=None), zone, str(shown.fold))
        assert back == instant


# --- the form field ----------------------------------------------------------------------------


def test_the_field_shows_the_choice_only_for_a_repeated_time() -> None:
    form, html = _form(LONDON, {"at": "2026-10-25T01:30"})
    assert form.errors == {
        "at": [
            "01:30 on Sun 25 Oct 2026 happens twice in Europe/London: the clocks go back from "
            "02:00 to 01:00. Choose which 01:30 you mean."
        ]
    }
    assert '<input type="datetime-local" name="at" value="2026-10-25T01:30"' in html
    assert 'id="id_at"' in html
    assert 'name="at_fold" id="id_at_fold_0" value="0"' in html
    assert (
        '<label class="form-check-label" for="id_at_fold_0">The first 01:30 (BST, UTC+01:00), '
        "before the clocks go back</label>"
    ) in html
    assert (
        '<label class="form-check-label" for="id_at_fold_1">The second 01:30 (GMT, UTC+00:00), '
        "after the clocks go back</label>"
    ) in html
    _plain, plain_html = _form(LONDON, {"at": "2026-10-25T03:30"})
    assert "at_fold" not in plain_html


@pytest.mark.parametrize(
    ("zone", "data", "expected"),
    [
        (LONDON, {"at": "2026-10-25T01:30", "at_fold": "0"}, datetime(2026, 10, 25, 0, 30)),
        (LONDON, {"at": "2026-10-25T01:30", "at_fold": "1"}, datetime(2026, 10, 25, 1, 30)),
        (NEW_YORK, {"at": "2026-11-01T01:30", "at_fold": "0"}, datetime(2026, 11, 1, 5, 30)),
        (NEW_YORK, {"at": "2026-11-01T01:30", "at_fold": "1"}, datetime(2026, 11, 1, 6, 30)),
        (NEW_YORK, {"at": "2026-07-04 12:00"}, datetime(2026, 7, 4, 16, 0)),
    ],
)
def test_the_field_takes_the_chosen_instant(
    zone: ZoneInfo, data: dict[str, str], expected: datetime
) -> None:
    form, _html = _form(zone, data)
    assert form.errors == {}
    assert form.cleaned_data["at"] == expected.replace(tzinfo=UTC)


def test_the_field_refuses_a_skipped_time_beside_it() -> None:
    form, html = _form(NEW_YORK, {"at": "2026-03-08T02:30"})
    assert form.errors["at"] == [
        "There is no 02:30 on Sun 8 Mar 2026 in America/New_York: the clocks go forward from "
        "02:00 to 03:00. Enter the time the clock showed: before 02:00, or from 03:00."
    ]
    assert "at_fold" not in html


def test_an_initial_instant_in_the_repeated_hour_is_shown_with_its_choice_made() -> None:
    with timezone.override(LONDON):
        form = WhenForm(initial={"at": datetime(2026, 10, 25, 1, 30, tzinfo=UTC)})
        html = str(form["at"])
    assert 'value="2026-10-25T01:30"' in html
    assert 'value="1" checked' in html


def test_garbage_is_the_usual_error() -> None:
    form, _html = _form(LONDON, {"at": "next tuesday"})
    assert form.errors == {"at": ["Enter a valid date/time."]}


def test_empty_is_required_or_none(settings: Any) -> None:
    class Optional(forms.Form):
        at = LocalDateTimeField(label="When", required=False)

    with timezone.override(LONDON):
        optional = Optional({"at": ""})
        assert optional.is_valid() and optional.cleaned_data["at"] is None
    form, _html = _form(LONDON, {"at": ""})
    assert form.errors == {"at": ["This field is required."]}
