"""The historical eras the alliance models are estimated on."""

from __future__ import annotations

from dataclasses import dataclass

from realpolitik.errors import InputError, Problem


@dataclass(frozen=True)
class Era:
    label: str
    name: str
    start: int
    end: int

    def contains(self, year: int) -> bool:
        return self.start <= year <= self.end


ERAS: tuple[Era, ...] = (
    Era("1816-1913", "concert-and-empire", 1816, 1913),
    Era("1919-1939", "interwar", 1919, 1939),
    Era("1946-1989", "cold-war", 1946, 1989),
    Era("1990-2018", "post-cold-war", 1990, 2018),
)
POOLED = "pooled"
"""Label of the model fitted on all four eras together (with era intercepts)."""


def era_of(year: int) -> str | None:
    """The label of the era holding `year` (None for the world-war years 1914-18, 1940-45)."""
    for era in ERAS:
        if era.contains(year):
            return era.label
    return None


def parse_eras(values: tuple[str, ...] | list[str] | None) -> list[str]:
    """Normalise era selections (labels like '1946-1989', names like 'cold-war', 'pooled')."""
    if not values:
        return [e.label for e in ERAS] + [POOLED]
    out: list[str] = []
    for raw in values:
        for v in str(raw).split(","):
            v = v.strip().lower()
            if not v:
                continue
            if v == POOLED:
                label = POOLED
            elif v == "all":
                for e in ERAS:
                    if e.label not in out:
                        out.append(e.label)
                label = POOLED
            else:
                match = [e.label for e in ERAS if v in (e.label, e.name)]
                if not match:
                    choices = ", ".join([e.label for e in ERAS] + [e.name for e in ERAS])
                    raise InputError(
                        Problem(
                            "--era",
                            "",
                            f"unknown era {v!r}; expected one of {choices}, pooled or all",
                        )
                    )
                label = match[0]
            if label not in out:
                out.append(label)
    return out
