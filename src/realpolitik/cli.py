"""The `realpolitik` command line: a thin shell over the Python API.

Sub-commands live in `realpolitik.commands.*` and are imported only when used, so
`realpolitik case list` does not pay for loading the estimation or plotting stack.
"""

from __future__ import annotations

import importlib
import sys

import click

from realpolitik.errors import RealpolitikError

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "case": "realpolitik.commands.case:case",
    "fit": "realpolitik.commands.fit:fit",
    "evaluate": "realpolitik.commands.evaluate:evaluate",
    "run": "realpolitik.commands.run:run",
    "simulate": "realpolitik.commands.simulate:simulate",
    "counterfactual": "realpolitik.commands.simulate:counterfactual",
    "sensitivity": "realpolitik.commands.simulate:sensitivity",
    "data": "realpolitik.commands.alliances:data",
    "alliances": "realpolitik.commands.alliances:alliances",
    "report": "realpolitik.commands.report:report",
    "serve": "realpolitik.commands.report:serve",
}


SUMMARY: dict[str, str] = {
    "case": "Cases: list, show, validate and start scenario files.",
    "fit": "Estimate each actor's weights on ideology and interest, with the verdict.",
    "evaluate": "Score the choice model out of sample against a uniform baseline.",
    "run": "The main job: fit, score, the headline what-if, and the report.",
    "simulate": "Simulate a case forward: outcome frequencies and fidelity to the record.",
    "counterfactual": "Compare a changed world with the baseline, with Monte Carlo error.",
    "sensitivity": "Sobol sensitivity of verdicts and outcomes over every assumption.",
    "data": "Import and list the Correlates of War and related datasets.",
    "alliances": "Every alliance since 1816: build the dyad-year panel, fit by era.",
    "report": "Write the self-contained HTML report with its figures.",
    "serve": "Explore a case in the browser (localhost).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARY.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="realpolitik")
def cli() -> None:
    """realpolitik: does ideology or national interest decide when states choose sides?"""


def main(argv: list[str] | None = None) -> None:
    """Entry point: every RealpolitikError becomes clean lines on stderr and exit status 2."""
    try:
        cli.main(args=argv, prog_name="realpolitik", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        # one line, exit status 2: which command, what was wrong, where help is
        ctx = exc.ctx
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        param = getattr(exc, "param", None)
        if isinstance(exc, click.BadParameter) and param is not None:
            name = (getattr(param, "opts", None) or [param.human_readable_name])[0]
            message = f"{name}: {' '.join(str(exc.message).split())}"
        else:
            where = f"{ctx.command_path}: " if ctx is not None else ""
            message = where + " ".join(exc.format_message().split())
        click.echo(f"error: {message}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except RealpolitikError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
    except RecursionError:
        click.echo("error: input nested too deeply", err=True)
        sys.exit(2)
    except OSError as exc:
        # a file the command was told to read or write (e.g. --csv in a folder that is not there)
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        click.echo(f"error: {name}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


def script() -> None:
    """The `realpolitik` command: `main()`, then a quick exit. Once the command has finished
    (its files closed, its output printed) and the exit handlers have run, the process ends
    without tearing the interpreter down: freeing every module of pandas, pyarrow and DuckDB
    one by one takes about 0.2 s, a tenth of a 10^6-path simulation. When a thread other than
    this one is still running, or the command ended in an uncaught exception, Python exits
    the usual way."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    import atexit
    import os

    atexit._run_exitfuncs()  # logging, multiprocessing, Dask: what a normal exit would run
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written
            pass
    os._exit(code)
