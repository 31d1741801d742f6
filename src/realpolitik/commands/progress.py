"""Progress for steps that may take more than a moment: a spinner with the elapsed time on
stderr when it is a terminal (nothing when piped), and the step's duration afterwards."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

SHOW_AFTER = 2.0  # seconds: a step that took longer says so when it ends


@contextmanager
def step(label: str, enabled: bool | None = None) -> Iterator[None]:
    """Show `label` with a spinner and the elapsed time while the block runs."""
    console = Console(stderr=True)
    on = console.is_terminal if enabled is None else enabled and sys.stderr.isatty()
    start = time.perf_counter()
    if not on:
        yield
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        bar.add_task(label, total=None)
        yield
    took = time.perf_counter() - start
    if took >= SHOW_AFTER:
        console.print(f"[dim]{label}: done in {took:.1f} s[/dim]")
