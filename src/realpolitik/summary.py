"""`Summary`: what `summary()` returns on every result, as statsmodels' does.

A summary is a title, a block of facts (key: value) and one or more titled tables, with
`as_text()`, `as_html()` and `as_latex()`. Printing it gives the text; Jupyter shows the
HTML. Every cell is escaped in HTML and LaTeX.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def _cell(value: object, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return "n/a"
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 10 ** (-digits)):
            return f"{v:.{digits}g}"
        return f"{v:.{digits}f}"
    return str(value)


def text_cells(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The frame with every value as display text (n/a for missing numbers)."""
    return frame.apply(lambda col: [_cell(v, digits) for v in col]).astype(str)


@dataclass
class Summary:
    """A result's summary: `title`, `facts` (label -> value) and titled `tables`."""

    title: str
    facts: list[tuple[str, object]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    digits: int = 3

    def add_table(self, title: str, frame: pd.DataFrame) -> Summary:
        self.tables.append((title, frame.reset_index(drop=True)))
        return self

    # ---- text -----------------------------------------------------------------------------
    def as_text(self, width: int = 88) -> str:
        lines = [self.title, "=" * min(width, max(len(self.title), 20))]
        if self.facts:
            key_w = max(len(k) for k, _ in self.facts)
            lines += [f"{k:<{key_w}}  {_cell(v, self.digits)}" for k, v in self.facts]
        for title, frame in self.tables:
            lines += ["", title, "-" * min(width, max(len(title), 20))]
            lines.append(_fixed_text(text_cells(frame, self.digits)))
        if self.notes:
            lines.append("")
            for n in self.notes:
                lines += textwrap.wrap(f"note: {n}", width, subsequent_indent="      ")
        return "\n".join(lines)

    # ---- HTML -----------------------------------------------------------------------------
    def as_html(self) -> str:
        esc = html.escape
        parts = [f'<div class="realpolitik-summary"><h4>{esc(self.title)}</h4>']
        if self.facts:
            rows = "".join(
                f"<tr><th>{esc(k)}</th><td>{esc(_cell(v, self.digits))}</td></tr>"
                for k, v in self.facts
            )
            parts.append(f"<table>{rows}</table>")
        for title, frame in self.tables:
            cells = text_cells(frame, self.digits)
            head = "".join(f"<th>{esc(str(c))}</th>" for c in cells.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
                for row in cells.itertuples(index=False)
            )
            parts.append(
                f"<p><strong>{esc(title)}</strong></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
        parts += [f"<p><em>note:</em> {esc(n)}</p>" for n in self.notes]
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    # ---- LaTeX ----------------------------------------------------------------------------
    def as_latex(self) -> str:
        parts = [f"% {latex_escape(self.title)}"]
        if self.facts:
            facts = pd.DataFrame(
                [(k, _cell(v, self.digits)) for k, v in self.facts], columns=["", " "]
            )
            parts.append(latex_table(facts, caption=self.title))
        for title, frame in self.tables:
            parts.append(latex_table(text_cells(frame, self.digits), caption=title))
        parts += [f"% note: {latex_escape(n)}" for n in self.notes]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


def _fixed_text(cells: pd.DataFrame) -> str:
    cols = [str(c) for c in cells.columns]
    widths = [
        max([len(c)] + [len(v) for v in cells[col]])
        for c, col in zip(cols, cells.columns, strict=True)
    ]
    numeric = [
        all(_looks_numeric(v) for v in cells[col] if v not in ("", "n/a")) for col in cells.columns
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(cols)] + [line(list(r)) for r in cells.itertuples(index=False)])


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def latex_table(frame: pd.DataFrame, caption: str | None = None) -> str:
    """A booktabs tabular of a frame of text cells (pandas' Styler; every cell escaped)."""
    cells = frame.astype(str)
    styler = (
        cells.style.hide(axis="index").format(escape="latex").format_index(escape="latex", axis=1)
    )
    kwargs: dict[str, object] = {"hrules": True, "column_format": "l" * len(cells.columns)}
    if caption:
        kwargs["caption"] = latex_escape(caption)
        kwargs["position_float"] = "centering"
    return styler.to_latex(**kwargs)
