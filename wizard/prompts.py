"""Questions are declared once; two askers answer them.

A :class:`Question` carries its key, text, kind, the flag that answers it, its safe default
and its validation. The interactive asker shows it with questionary (imported on first use);
the unattended asker (``--yes``) takes the flag's value, else the safe default, else stops
with an error naming the flag. A value given by flag always wins, in both modes, and is
validated the same way a typed answer is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from flowwiz.detectors.errors import UserError
from flowwiz.detectors.secret import token_not_name


class _Unset:
    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()

SEARCH_FILTER_ABOVE = 10  # a select with more choices than this filters as you type

Validator = Callable[[str], str | None]  # returns an error message, or None when valid


@dataclass(frozen=True, slots=True)
class Choice:
    title: str
    value: Any
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    message: str
    kind: Literal["text", "confirm", "select", "password"]
    flag: str  # the flag that answers it, named in --yes errors
    default: Any = UNSET  # the safe default: what --yes takes when no flag is given
    suggestion: Any = UNSET  # pre-filled for a person, but not safe to take unattended
    choices: tuple[Choice, ...] = ()
    validate: Validator | None = None
    convert: Callable[[str], Any] | None = None
    instruction: str | None = None
    why_no_default: str | None = None  # finishes "no safe answer ... : <why>"
    name_of: str | None = None  # "variable name", "work pool name"...: a token is refused

    def check(self, raw: str) -> str | None:
        if self.name_of and isinstance(raw, str):
            problem = token_not_name(raw, self.name_of)
            if problem:  # before any other rule: their messages may quote the value
                return problem
        return self.validate(raw) if self.validate else None

    def finish(self, raw: Any) -> Any:
        return self.convert(raw) if (self.convert and isinstance(raw, str)) else raw


class MissingAnswer(UserError):
    """--yes met a question that has no flag value and no safe default."""


class Asker(Protocol):
    interactive: bool

    def ask(self, question: Question, given: Any = UNSET) -> Any: ...

    def note(self, message: str) -> None: ...


def _from_flag(question: Question, given: Any) -> Any:
    if isinstance(given, str):
        problem = question.check(given)
        if problem:
            raise UserError(f"invalid {question.flag} value: {problem}")
    if question.kind == "select" and question.choices and given is not None:
        values = [c.value for c in question.choices]
        if given not in values and not isinstance(given, str):
            raise UserError(f"invalid {question.flag} value")
    return question.finish(given)


class _Notes:
    """Both askers pass notes (warnings, information) to the one printer they were given."""

    def __init__(self, notes: Callable[[str], None] | None = None) -> None:
        self._notes = notes

    def note(self, message: str) -> None:
        if self._notes:
            self._notes(message)


class UnattendedAsker(_Notes):
    """``--yes``: flag, then safe default, else a clear error naming the flag."""

    interactive = False

    def ask(self, question: Question, given: Any = UNSET) -> Any:
        if given is not UNSET:
            return _from_flag(question, given)
        if question.default is not UNSET:
            return question.default
        what = question.message.rstrip(" ?:")
        why = f" ({question.why_no_default})" if question.why_no_default else ""
        raise MissingAnswer(f"--yes: no safe answer for {what!r}{why}; pass {question.flag}")


class InteractiveAsker(_Notes):
    """questionary prompts; Ctrl-C propagates (unsafe_ask) to the one handler in the CLI."""

    interactive = True

    def ask(self, question: Question, given: Any = UNSET) -> Any:
        if given is not UNSET:
            return _from_flag(question, given)
        import questionary

        from flowwiz.wizard.terminal import printable

        # prompt_toolkit shows str titles as plain text (no HTML); control characters in repo
        # text (a flow name, a docstring) are made visible the same way as everywhere else
        message = printable(question.message)

        shown = question.suggestion if question.suggestion is not UNSET else question.default
        validate = _questionary_validator(question)
        if question.kind == "confirm":
            answer = questionary.confirm(
                message,
                default=bool(shown) if shown is not UNSET else True,
                instruction=question.instruction,
            ).unsafe_ask()
        elif question.kind == "select":
            choices = [
                questionary.Choice(
                    printable(c.title),
                    value=c.value,
                    description=None if c.description is None else printable(c.description),
                )
                for c in question.choices
            ]
            default = next((c for c in choices if shown is not UNSET and c.value == shown), None)
            # a long list (a repository with 64 flows) filters as you type
            search = len(choices) > SEARCH_FILTER_ABOVE
            answer = questionary.select(
                message,
                choices=choices,
                default=default,
                instruction=question.instruction
                or (
                    "(type to filter, arrows to move, enter to select)"
                    if search
                    else "(arrows to move, enter to select)"
                ),
                use_search_filter=search,
                use_jk_keys=not search,
            ).unsafe_ask()
        elif question.kind == "password":
            answer = questionary.password(message, validate=validate).unsafe_ask()
        else:
            answer = questionary.text(
                message,
                default="" if shown in (UNSET, None) else str(shown),
                validate=validate,
                instruction=question.instruction,
            ).unsafe_ask()
        return question.finish(answer)


def _questionary_validator(question: Question) -> Callable[[str], bool | str]:
    def check(raw: str) -> bool | str:
        problem = question.check(raw)
        return True if problem is None else problem

    return check


def choices(
    rows: Sequence[tuple[str, Any]] | Sequence[tuple[str, Any, str | None]],
) -> tuple[Choice, ...]:
    return tuple(Choice(*row) for row in rows)
