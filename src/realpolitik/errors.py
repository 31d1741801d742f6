"""Errors that reach the user as one line each, never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class RealpolitikError(Exception):
    """Base class for every error the CLI reports as a clean message (exit status 2)."""

    exit_code = 2


class InputError(RealpolitikError):
    """Bad input: carries every problem found, one line each."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", field="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p).lstrip(": ") for p in self.problems))


class ConvergenceError(RealpolitikError):
    """An MCMC run whose chains did not converge; its numbers must not be used."""


class DataMissingError(RealpolitikError):
    """A dataset the command needs is not in the data directory."""
