"""Local date-times typed into forms, made aware in the current time zone (the views activate
the Partner's), without guessing across a daylight-saving change.

Django refuses both kinds of awkward local time with one vague message. Here a time that does
not exist (the clocks went forward over it) gets a message saying so and what to enter; a time
that happens twice (the clocks went back over it) can be entered: the field then asks which of
the two instants is meant (a choice shown beside the field only then) and takes the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
INPUT_FORMATS = [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
FIRST, SECOND = "0", "1"  # the `fold` of the first and the second pass through a repeated time


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", zone))


def _day(value: datetime) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _transition(zone: tzinfo, before: datetime, after: datetime) -> datetime:
    """The instant (UTC, to the second) at which the zone's offset changes between two
    instants whose offsets differ."""
    low, high = before, after
    offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


@dataclass(frozen=True)
class Repeated:
    """A local time that happens twice: its two instants and the clock change."""

    naive: datetime
    zone: tzinfo
    first: datetime  # aware, in the zone
    second: datetime
    back_from: datetime  # local wall clock when the clocks go back...
    back_to: datetime  # ...and what they show after

    def question(self) -> str:
        return f"{self.naive:%H:%M} on {_day(self.naive)} happens twice in {zone_name(self.zone)}"

    def message(self) -> str:
        return (
            f"{self.question()}: the clocks go back from {self.back_from:%H:%M} to "
            f"{self.back_to:%H:%M}. Choose which {self.naive:%H:%M} you mean."
        )

    def choices(self) -> list[tuple[str, str]]:
        def label(which: str, at: datetime, when: str) -> str:
            offset = at.strftime("%z")
            return (
                f"The {which} {self.naive:%H:%M} ({at.tzname()}, UTC{offset[:3]}:{offset[3:]}), "
                f"{when} the clocks go back"
            )

        return [
            (FIRST, label("first", self.first, "before")),
            (SECOND, label("second", self.second, "after")),
        ]


class RepeatedLocalTime(ValueError):
    def __init__(self, repeated: Repeated) -> None:
        super().__init__(repeated.message())
        self.repeated = repeated


class MissingLocalTime(ValueError):
    """A local time the clocks skip."""

    def __init__(self, naive: datetime, zone: tzinfo, skip_from: datetime, skip_to: datetime):
        super().__init__(
            f"There is no {naive:%H:%M} on {_day(naive)} in {zone_name(zone)}: the clocks go "
            f"forward from {skip_from:%H:%M} to {skip_to:%H:%M}. Enter the time the clock "
            f"showed: before {skip_from:%H:%M}, or from {skip_to:%H:%M}."
        )


def repeated(naive: datetime, zone: tzinfo) -> Repeated | None:
    """The two instants of a local time that happens twice in `zone`, or None."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset() or not _exists(first):
        return None
    change = _transition(zone, first.astimezone(UTC), second.astimezone(UTC))
    return Repeated(
        naive=naive.replace(fold=0),
        zone=zone,
        first=first,
        second=second,
        back_from=(change.replace(tzinfo=None) + (first.utcoffset() or timedelta())),
        back_to=(change.replace(tzinfo=None) + (second.utcoffset() or timedelta())),
    )


def _exists(local: datetime) -> bool:
    """Whether a wall-clock time survives the round trip through UTC (a skipped one does not)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None, fold=0) == local.replace(tzinfo=None, fold=0)


def aware_from_local(naive: datetime, zone: tzinfo, fold: str | None = None) -> datetime:
    """The UTC instant of a wall-clock time in `zone`. RepeatedLocalTime when the time happens
    twice and `fold` (FIRST or SECOND) does not say which; MissingLocalTime when the clocks
    skip it."""
    naive = naive.replace(tzinfo=None)
    local = naive.replace(tzinfo=zone, fold=0)
    if not _exists(local):
        # Read with either offset, the skipped time names an instant on each side of the change.
        ends = sorted(naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
        change = _transition(zone, ends[0], ends[1])
        before = ends[0].astimezone(zone).utcoffset() or timedelta()
        after = ends[1].astimezone(zone).utcoffset() or timedelta()
        raise MissingLocalTime(
            naive,
            zone,
            (change + before).replace(tzinfo=None),
            (change + after).replace(tzinfo=None),
        )
    twice = repeated(naive, zone)
    if twice is not None:
        if fold not in (FIRST, SECOND):
            raise RepeatedLocalTime(twice)
        return (twice.second if fold == SECOND else twice.first).astimezone(UTC)
    return local.astimezone(UTC)


def _parse(text: str) -> datetime | None:
    for format in INPUT_FORMATS:
        try:
            return datetime.strptime(text, format)
        except ValueError:
            continue
    return None


class LocalDateTimeWidget(forms.MultiWidget):
    """A `datetime-local` input named like the field, and, only when the typed time happens
    twice in the current zone, a choice of the two instants named `<field>_fold`."""

    template_name = "core/widgets/local_datetime.html"
    use_fieldset = False  # one labelled input; the choice has its own fieldset when shown

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
            "fold": forms.RadioSelect(),  # named `<field>_fold`
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, datetime):
            zone = timezone.get_current_timezone()
            shown = value.replace(tzinfo=None)
            fold = str(value.fold) if repeated(shown, zone) is not None else ""
            return [shown, fold]
        return [value, ""]

    def id_for_label(self, id_: str) -> str:
        return id_

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(value, list | tuple):
            value = self.decompress(value)
        text = value[0]
        naive = text if isinstance(text, datetime) else _parse(str(text or "").strip())
        twice = repeated(naive, timezone.get_current_timezone()) if naive else None
        self.widgets[1].choices = twice.choices() if twice else []  # type: ignore[attr-defined]
        context = super().get_context(name, value, attrs)
        main, fold = context["widget"]["subwidgets"]
        if main["attrs"].get("id"):
            fold_id = f"{main['attrs']['id'][: -len('_0')]}_fold"
            main["attrs"]["id"] = main["attrs"]["id"][: -len("_0")]
            fold["attrs"]["id"] = fold_id
        context["widget"]["repeated"] = twice
        return context


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the current zone (module docstring); `cleaned_data` holds the
    aware UTC instant."""

    widget = LocalDateTimeWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            # astimezone sets `fold` on the second pass through a repeated time; it is kept.
            return value.astimezone(timezone.get_current_timezone())
        return value

    def to_python(self, value: Any) -> datetime | None:
        text, fold = value if isinstance(value, list | tuple) else (value, None)
        zone = timezone.get_current_timezone()
        if isinstance(text, datetime):
            if timezone.is_aware(text):
                return text.astimezone(UTC)
            naive: datetime | None = text
        elif text in self.empty_values:
            return None
        else:
            naive = _parse(str(text).strip())
        if naive is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return aware_from_local(naive, zone, fold or None)
        except RepeatedLocalTime as exc:
            raise ValidationError(str(exc), code="repeated_time") from exc
        except MissingLocalTime as exc:
            raise ValidationError(str(exc), code="missing_time") from exc


def local_text(at: datetime, zone: str) -> str:
    """`Fri 4 Dec 2026 13:37 GMT`: an instant on a Partner's clock with the zone named, as the
    pages print it (the `local` filter) and every notice says it."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}"
