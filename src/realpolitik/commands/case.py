"""`realpolitik case list | show | validate | new`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.panel import Panel
from rich.table import Table

from realpolitik.commands.common import console, dump_json, err_console
from realpolitik.commands.output import Output, format_option
from realpolitik.errors import InputError, Problem
from realpolitik.export import atomic_write
from realpolitik.scenario.loader import builtin_names, load, parse, template_text
from realpolitik.scenario.timeline import format_date, timeline


@click.group()
def case() -> None:
    """Cases: list, show, validate and start scenario files."""


@case.command("list")
@format_option
def list_cases(fmt: str, as_json: bool) -> None:
    """The built-in cases."""
    import pandas as pd

    rows = []
    for name in builtin_names():
        c = load(name).case
        rows.append(
            {
                "case": name,
                "title": c.title,
                "span": f"{c.span.start.year}-{c.span.end.year}",
                "actors": len(c.actors),
                "decisions": len(c.decisions),
            }
        )
    out = Output(fmt, as_json)
    frame = pd.DataFrame(rows, columns=["case", "title", "span", "actors", "decisions"])
    if out.is_json:
        out.json(rows)
        return
    out.table(frame, title="built-in cases", primary=True)


@case.command("show")
@click.argument("case_ref", metavar="CASE|PATH")
@format_option
def show(case_ref: str, fmt: str, as_json: bool) -> None:
    """A readable, cited timeline of a case (--format json: the whole case, for machines)."""
    loaded = load(case_ref)
    c = loaded.case
    if fmt in ("csv", "markdown", "latex"):
        import pandas as pd

        rows = [
            {
                "date": format_date(r),
                "kind": r["kind"],
                "actor": r["actor_name"],
                "what": r["title"],
                "chosen": r["chosen"] or "",
                "sources": "; ".join(r["cite"]),
            }
            for r in timeline(c)
        ]
        Output(fmt).table(pd.DataFrame(rows), title=f"{c.title}: timeline", primary=True)
        return
    if as_json or fmt == "json":
        data = c.model_dump(mode="json", by_alias=True)
        data["timeline"] = [
            {**row, "date": str(row["date"]), "end": str(row["end"]) if row["end"] else None}
            for row in timeline(c)
        ]
        dump_json(data)
        return
    console.print(
        Panel(
            f"[bold]{c.title}[/bold]\n{c.summary.strip()}\n"
            f"span {c.span.start} to {c.span.end}; {len(c.actors)} actors, "
            f"{len(c.decisions)} decisions, {len(c.events)} events; "
            f"{len(c.assumptions)} declared assumptions",
            title=c.id,
        )
    )
    table = Table(show_lines=True, title="timeline", title_justify="left")
    table.add_column("date", no_wrap=True)
    table.add_column("who")
    table.add_column("what")
    table.add_column("sources")
    for row in timeline(c):
        if row["kind"] == "decision":
            what = (
                f"[bold]{row['title']}[/bold]\n[green]chose:[/green] {row['chosen']}\n"
                + "\n".join(f"[dim]rejected: {alt}[/dim]" for alt in row["alternatives"])
            )
            who = row["actor_name"]
        else:
            what = f"[yellow]event:[/yellow] {row['title']}"
            who = ""
        table.add_row(format_date(row), who, what, "\n".join(row["cite"]))
    console.print(table)
    sources = Table(title="sources", title_justify="left")
    sources.add_column("id")
    sources.add_column("reference")
    for s in c.sources:
        sources.add_row(s.id, f"{s.author} ({s.year}). {s.title}. {s.venue}.")
    console.print(sources)
    if c.figures:
        figs = Table(title="figures carried as cited data", title_justify="left")
        for col in ("figure", "value", "date", "source", "note"):
            figs.add_column(col)
        for f in c.figures:
            figs.add_row(
                f.label,
                f"{f.value:g} {f.unit}",
                str(f.date),
                "; ".join(c.cite_labels(f.cite)),
                ("doubted by the source; " if f.doubted else "") + (f.note or ""),
            )
        console.print(figs)


@case.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
def validate_cmd(paths: tuple[str, ...]) -> None:
    """Check scenario files; every problem in every file, one line each (exit status 2)."""
    problems: list[Problem] = []
    for path in paths:
        try:
            c = load(path).case
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        err_console.print(
            f"ok: {path} ({len(c.actors)} actors, {len(c.decisions)} decisions, "
            f"{len(c.assumptions)} assumptions)"
        )
    if problems:
        raise InputError(problems)


@case.command("new")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(path: str, force: bool) -> None:
    """Write a commented template that validates as written."""
    target = Path(path)
    if target.exists() and not force:
        raise InputError(Problem(path, "", "exists already; choose another path or pass --force"))
    text = template_text()
    parse(text, path)  # the template must validate
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    err_console.print(f"wrote {target}; check it with: realpolitik case validate {target}")
