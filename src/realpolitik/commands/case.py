"""`realpolitik case list | show | validate | new | audit | blind | agreement`."""

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
            c = load(path, blind_ok=True).case
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        err_console.print(
            f"ok: {path} ({len(c.actors)} actors, {len(c.decisions)} decisions, "
            f"{len(c.assumptions)} assumptions{'; a blind coding file' if c.blind else ''})"
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


@case.command("audit")
@click.argument("case_ref", metavar="CASE|PATH")
@click.option("--assume", multiple=True, metavar="ID=VALUE", help="Override an assumption.")
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON.")
@click.option(
    "--out", "--csv", "out", metavar="FILE", help="Write the table (.csv, .parquet, .dta)."
)
def audit_cmd(case_ref: str, assume: tuple[str, ...], as_json: bool, out: str | None) -> None:
    """Does one label predict the record by itself? Per feature: how often the chosen option
    holds the best value, and its one-weight fit against the full model; flags one line each."""
    from realpolitik.commands.common import rich_table, write_option_table
    from realpolitik.commands.fit import parse_assignments
    from realpolitik.estimation.audit import audit
    from realpolitik.model.compiled import compile_case

    comp = compile_case(load(case_ref).case)
    assumptions = parse_assignments(assume, "--assume")
    comp.check_overrides(assumptions)
    result = audit(comp, comp.theta(1, assumptions))
    write_option_table(result.table, out)
    if as_json:
        dump_json(result.to_dict())
        return
    shown = result.table.drop(columns=["labels", "decisions", "loglik_full"])
    console.print(
        rich_table(
            shown,
            title=f"coding audit: {comp.case.id} ({len(comp.decisions)} decisions; full model "
            f"log-likelihood {result.full_loglik:.2f} with {result.full_params} weights)",
            floats="{:.2f}",
        )
    )
    for line in result.flags:
        console.print(f"[yellow]flag:[/yellow] {line}")
    if not result.flags:
        console.print("no label predicts the record by itself")


@case.command("blind")
@click.argument("case_ref", metavar="CASE|PATH")
@click.option("--out", "out", required=True, metavar="FILE", help="Where to write the blind copy.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for shuffling options.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def blind_cmd(case_ref: str, out: str, seed: int, force: bool) -> None:
    """Write a copy for a second coder: no recorded choices, options shuffled, notes that
    discuss the choice and observed outcomes dropped. It validates as a blind file."""
    from realpolitik.scenario.coding import blind_text

    target = Path(out)
    if target.exists() and not force:
        raise InputError(Problem(out, "", "exists already; choose another path or pass --force"))
    text = blind_text(case_ref, seed)
    parse(text, out, blind_ok=True)  # the copy must validate as a blind file
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    err_console.print(f"wrote {target} (blind, seed {seed})")


@case.command("agreement")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print alpha and the disagreements as JSON.")
@click.option(
    "--out", "--csv", "out", metavar="FILE", help="Write the disagreements (.csv, .parquet, .dta)."
)
def agreement_cmd(first: str, second: str, as_json: bool, out: str | None) -> None:
    """Compare two codings of the same decisions: Krippendorff's alpha per label and feature,
    and every disagreement with its decision."""
    from realpolitik.commands.common import rich_table, write_option_table
    from realpolitik.estimation.agreement import agreement

    a = load(first, blind_ok=True).case
    b = load(second, blind_ok=True).case
    result = agreement(a, b)
    write_option_table(result.disagreements, out)
    if as_json:
        dump_json(result.to_dict())
        return
    console.print(rich_table(result.alpha, title=f"agreement: {first} against {second}"))
    if len(result.disagreements):
        console.print(rich_table(result.disagreements, title="disagreements"))
    else:
        console.print("the two codings agree on every option")


@case.command("upgrade")
@click.argument("case_ref", metavar="CASE|PATH")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the upgraded file here (default: rewrite PATH in place; required for a built-in).",
)
@click.option("--check", is_flag=True, help="List what would change; write nothing.")
def upgrade(case_ref: str, out: str | None, check: bool) -> None:
    """Rewrite a scenario file written for an earlier format, with a note of every change."""
    from realpolitik.scenario.loader import resolve
    from realpolitik.scenario.upgrade import upgrade_text

    origin, text = resolve(case_ref)
    result = upgrade_text(text, origin)
    for p in result.changes:
        err_console.print(f"changed: {p}", markup=False, highlight=False, soft_wrap=True)
    for p in result.notes:
        err_console.print(f"model: {p}", markup=False, highlight=False, soft_wrap=True)
    builtin = origin.startswith("<built-in")
    target = Path(out) if out else (None if builtin else Path(case_ref))
    if check or (not result.changed and out is None):
        word = "would change" if result.changed else "needs no rewrite"
        err_console.print(
            f"{case_ref}: {word} ({len(result.changes)} change(s); "
            f"{len(result.notes)} option(s) computed differently by the current model)",
            soft_wrap=True,
        )
        return
    if target is None:
        raise InputError(
            Problem(case_ref, "", "is a built-in case; name a file to write with --out")
        )
    atomic_write(target, lambda tmp: tmp.write_text(result.text, encoding="utf-8"))
    err_console.print(f"wrote {target} ({len(result.changes)} change(s))", soft_wrap=True)
