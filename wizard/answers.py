"""The answers of a run, kept so one can be changed at the review without losing the rest.

:class:`RecordingAsker` wraps the run's asker: every question a person answered is recorded
as an :class:`Answer` (key, Question, value). Changing one answer re-runs the questions with
a new recorder that is given the recorded answers: a question whose answer is recorded (and
still one of its choices) is answered from the record without a prompt, the chosen question
and the questions never answered before (those that depend on the change) are asked. A
loop over data: no per-question code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from flowwiz.wizard.prompts import UNSET, Asker, Choice, Question


@dataclass(frozen=True, slots=True)
class Answer:
    key: str
    question: Question
    value: Any  # the finished value the asker returned (converted, a Choice's value)


class RecordingAsker:
    """``inner``: the asker that prompts; ``given``: answers recorded by an earlier pass,
    replayed in order per key; ``change``: the key asked again even though it is recorded."""

    def __init__(self, inner: Asker, given: Sequence[Answer] = (), change: str | None = None):
        self.inner = inner
        self.interactive = inner.interactive
        self.answers: list[Answer] = []
        self.change = change
        self._given: dict[str, deque[Any]] = {}
        for answer in given:
            self._given.setdefault(answer.key, deque()).append(answer.value)

    def note(self, message: str) -> None:
        self.inner.note(message)

    def ask(self, question: Question, given: Any = UNSET) -> Any:
        if given is not UNSET:  # a flag: not the person's answer, nothing to record
            return self.inner.ask(question, given)
        queue = self._given.get(question.key)
        if question.key != self.change and queue:
            value = queue.popleft()
            if _still_offered(question, value):
                self.answers.append(Answer(question.key, question, value))
                return value
        elif queue and question.kind != "password":  # the one being changed: starts from
            value = queue.popleft()  # the answer it had (a hidden answer is typed again)
            if question.kind != "text" and _still_offered(question, value):
                question = replace(question, suggestion=value)
            elif isinstance(value, (str, int, float)):  # text as typed; not a parsed object
                question = replace(question, suggestion=str(value))
        value = self.inner.ask(question)
        self.answers.append(Answer(question.key, question, value))
        return value


def _still_offered(question: Question, value: Any) -> bool:
    """A recorded select answer counts only while it is still among the choices (a change
    upstream can take it away: then the question is asked)."""
    if question.kind != "select" or not question.choices:
        return True
    return any(_same(choice.value, value) for choice in question.choices)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are different
        return False


def shown(answer: Answer) -> str:
    """One answer as the change list shows it: a choice by its title, a hidden answer as
    "(hidden)", yes/no for a confirm, text shortened to one line."""
    question, value = answer.question, answer.value
    if question.kind == "password":
        return "(hidden)"
    if question.kind == "confirm":
        return "yes" if value else "no"
    if question.kind == "select":
        title = next((c.title for c in question.choices if _same(c.value, value)), None)
        if title is not None:
            return title
    text = "" if value is None else str(value)
    text = text.strip().splitlines()[0] if text.strip() else "(empty)"
    return text if len(text) <= 60 else text[:57] + "..."


def change_choices(answers: Sequence[Answer]) -> tuple[Choice, ...]:
    """The questions answered, with their answers, as choices whose value is the key (the
    first time each key was asked; a key asked twice is re-asked in every place)."""
    seen: set[str] = set()
    rows = []
    for answer in answers:
        if answer.key in seen:
            continue
        seen.add(answer.key)
        label = answer.question.message.rstrip(" ?:")
        if len(label) > 50:
            label = label[:47] + "..."
        rows.append(Choice(f"{label}: {shown(answer)}", answer.key))
    return tuple(rows)
