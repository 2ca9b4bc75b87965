"""Template filters that name rules and events in words (`cases.words`), for every page.

`{{ o.row.rule|rule_title }}` -> "Call back"; `{{ o.row.trigger|event_label:page.words }}` ->
"the call back of Thu 3 Dec 10:24"; `{{ o.row.reason|in_words:page.words }}` rewrites the
ids in one of the engine's sentences. `page.words` is the case's `CaseWords`."""

from __future__ import annotations

from django import template

from eapcase.cases.words import CaseWords, rule_title

register = template.Library()

register.filter("rule_title", rule_title)


@register.filter
def event_label(event_id: str, words: CaseWords | None) -> str:
    return words.event(event_id) if words is not None else event_id


@register.filter
def in_words(sentence: str, words: CaseWords | None) -> str:
    return (words or CaseWords()).text(str(sentence or ""))
