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


def custom_span(label: str) -> tuple[int, int] | None:
    """(start, end) of a custom span like '1816-1992' (any years within 1816-2018), else None."""
    import re

    m = re.fullmatch(r"(\d{4})-(\d{4})", label)
    if not m:
        return None
    a, b = int(m.group(1)), int(m.group(2))
    if 1816 <= a <= b <= 2018:
        return a, b
    return None


def span_of(label: str) -> tuple[int, int]:
    """The first and last year an era label (named era, 'pooled' or custom span) covers."""
    if label == POOLED:
        return ERAS[0].start, ERAS[-1].end
    for e in ERAS:
        if e.label == label:
            return e.start, e.end
    span = custom_span(label)
    if span is None:
        raise ValueError(label)
    return span


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
                if not match and custom_span(v) is not None:
                    match = [v]
                if not match:
                    choices = ", ".join([e.label for e in ERAS] + [e.name for e in ERAS])
                    raise InputError(
                        Problem(
                            "--era",
                            "",
                            f"unknown era {v!r}; expected one of {choices}, pooled, all or "
                            "a span of years within 1816-2018 such as 1816-1992",
                        )
                    )
                label = match[0]
            if label not in out:
                out.append(label)
    return out
