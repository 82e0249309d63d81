"""The one error hierarchy of flowwiz.

Every error carries a one-line message for people. The CLI boundary (wizard.cli) prints it and
exits with ``exit_code``: 2 for user errors (bad input, a missing flag under ``--yes``), 1 for
failures of the world (keyring, network, disk). Anything else that escapes is a bug.

It lives in the lowest layer so that detectors, writers and the wizard all share it.
"""

from __future__ import annotations


class FlowwizError(Exception):
    """Base class: ``str(err)`` is a one-line message, safe to show (no secrets)."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UserError(FlowwizError):
    """The input was wrong: exit 2."""

    exit_code = 2


class WorldError(FlowwizError):
    """Something outside flowwiz failed (keyring, network, disk): exit 1."""

    exit_code = 1


class DetectionError(UserError):
    """What was asked to be detected is not there (not a directory, not a git repository)."""


class ProjectFileError(UserError):
    """A project file (prefect.yaml) is malformed; it is reported and never overwritten."""
