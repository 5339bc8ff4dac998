"""Analyse a folder of many recordings at once, on every core.

    recordings_in(folder) -> list[Path] | None   (None: the folder is one recording)
    analyze_batch(paths, ...) -> BatchResult
    print_summary(batch) / batch_dict(batch)

A folder holds several recordings when at least two of its entries are recordings on their own
(single-file CSVs, zips, sub-folders) and none of its top-level files is one stream of a multi-file
export (Sensor Logger, phyphox, MetaBase), which would make the folder itself one recording.
Pure orchestration: reading is `sensor.readers`, reports are `repcount.report.report_dict`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensor.errors import InputError

# Files that can hold a recording on their own; anything else beside them (truth files, plots,
# notes) is not one and is passed over.
RECORDING_SUFFIXES = {".csv", ".tsv", ".txt", ".zip"}
_SKIP_DIRS = {"__MACOSX", "__pycache__"}


@dataclass
class BatchResult:
    reports: list[dict[str, Any]] = field(default_factory=list)  # one per analysed file, in path order
    failed: list[dict[str, str]] = field(default_factory=list)  # {"path", "error"}, in path order


def _entries(folder: Path) -> list[Path]:
    out = []
    seen = {folder.resolve()}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.name in _SKIP_DIRS:
            continue
        if not (p.is_dir() or (p.is_file() and p.suffix.lower() in RECORDING_SUFFIXES)):
            continue
        # Links to the folder itself, to a folder above it or to an entry already listed would
        # analyse the same recording twice.
        real = p.resolve()
        if real in seen or (p.is_dir() and real in folder.resolve().parents):
            continue
        seen.add(real)
        out.append(p)
    return out


def _is_stream_of_export(path: Path) -> bool:
    """Whether a top-level file is one sensor stream of a multi-file export (so the folder is one)."""
    # Private helpers: the readers' own classification, so both always agree on what a file is.
    from sensor.readers import _classify, _csvio, _source, phyphox, sensor_logger

    try:
        with _source.open_container(path) as c:
            if c.kind != "file":
                return False
            head = _csvio.read_head(c.sources[0])
    except (InputError, OSError):
        return False
    if head is None or head.header_idx is None:
        return False
    fmt = _classify(head)
    if fmt == sensor_logger.NAME:
        return not sensor_logger.is_combined(head)
    if fmt == phyphox.NAME:
        kinds = {g.kind for g in phyphox._groups(head)} if phyphox.claims(head) else set()
        return not ("gyro" in kinds and kinds & {"acc", "lin"})
    return fmt == "metabase"


def recordings_in(folder: str | Path) -> list[Path] | None:
    """The recordings a folder holds when it holds several; None when it is (at most) one recording."""
    p = Path(folder)
    if not p.is_dir():
        return None
    entries = _entries(p)
    if len(entries) < 2:
        return None
    if any(e.is_file() and e.suffix.lower() != ".zip" and _is_stream_of_export(e) for e in entries):
        return None
    return entries


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def analyze_one(
    path: str,
    exercise: str = "pull-apart",
    columns: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """(report, None) for a recording that reads and analyses, else (None, one-line error)."""
    from analysis import process
    from repcount.report import report_dict
    from sensor.readers import read_recording

    try:
        rec = read_recording(path, columns=columns, units=units)
        if len(rec) < 2:
            raise InputError(path, "expected at least two samples")
        result = process(rec, exercise=exercise)
        return report_dict(result, path, rec.meta.format), None
    except InputError as exc:
        return None, _one_line(exc)
    except MemoryError:
        return None, f"{path}: not enough memory to analyse this recording"
    except Exception as exc:  # one broken file must never stop a batch of hundreds
        return None, f"{path}: could not be analysed ({type(exc).__name__}: {_one_line(exc)})"


def _warm_imports() -> None:
    # Imported once in the parent: forked workers inherit them instead of each paying ~1 s.
    import analysis.pullapart  # noqa: F401
    import repcount.report  # noqa: F401
    import sensor.readers  # noqa: F401


def analyze_batch(
    paths: Iterable[str | Path],
    *,
    exercise: str = "pull-apart",
    columns: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
    jobs: int | None = None,
    progress: bool = True,
) -> BatchResult:
    """Analyse every path in worker processes; a failure is recorded, never raised."""
    paths = [str(p) for p in paths]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    _warm_imports()
    slots: list[tuple[dict[str, Any] | None, str | None]] = [(None, None)] * len(paths)
    with ProcessPoolExecutor(jobs) as pool:
        # Every task is submitted (and the workers started) before the progress display's thread.
        futures = {pool.submit(analyze_one, p, exercise, columns, units): i for i, p in enumerate(paths)}
        with _progress(len(paths), progress) as advance:
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    slots[i] = fut.result()
                except Exception as exc:  # a worker that died (killed, out of memory)
                    slots[i] = (None, f"{paths[i]}: worker failed ({type(exc).__name__}: {_one_line(exc)})")
                advance()
    out = BatchResult()
    for p, (report, error) in zip(paths, slots):
        if report is not None:
            out.reports.append(report)
        else:
            out.failed.append({"path": p, "error": error or "unknown error"})
    return out


class _progress:
    """A rich progress bar on stderr (nothing when disabled); yields the function that advances it."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.bar = total, enabled, None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("analysing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("analysing", total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        if self.bar is not None:
            self.bar.stop()


def batch_dict(batch: BatchResult) -> dict[str, Any]:
    """The --json document: every session's usual report, then the files that failed."""
    return {"sessions": batch.reports, "failed": batch.failed}


def exit_status(batch: BatchResult) -> int:
    """0 when at least one recording was analysed (failures are listed in the output), 2 when none was."""
    return 0 if batch.reports else 2


def print_summary(batch: BatchResult, root: str | Path | None = None, console: Any = None) -> None:
    """One table row per analysed file, then the files that could not be read, then the totals."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()

    def name(path: str) -> str:
        if root is not None:
            try:
                return str(Path(path).relative_to(root))
            except ValueError:
                pass
        return path

    table = Table(title=f"{len(batch.reports)} sessions", title_justify="left", box=box.SIMPLE_HEAD)
    names = [name(r["source"]["path"]) for r in batch.reports]
    # The other columns take about 66 characters; the names fold into what is left.
    table.add_column("file", overflow="fold", max_width=max(12, console.width - 66))
    table.add_column("format", no_wrap=True)
    table.add_column("sets", justify="right")
    table.add_column("reps per set")
    table.add_column("total", justify="right")
    table.add_column("mean tempo s", justify="right", no_wrap=True)
    table.add_column("range °", justify="right", no_wrap=True)
    for i, r in enumerate(batch.reports):
        s = r["summary"]
        rng = "-" if s.get("rom_mean_deg") is None else f"{s['rom_mean_deg']:.0f} ± {s['rom_sd_deg']:.0f}"
        table.add_row(
            names[i],
            r["source"]["format"],
            str(len(r["sets"])),
            "+".join(str(n) for n in s["reps_per_set"]) or "-",
            str(r["total_reps"]),
            s.get("mean_tempo_text", "-").removesuffix(" s"),
            rng,
        )
    if batch.reports:
        console.print(table)
    if batch.failed:
        console.print(f"[bold]Could not analyse {len(batch.failed)} file(s):[/bold]")
        for f in batch.failed:
            console.print(f"  {f['error']}", markup=False, highlight=False, soft_wrap=True)
    total = sum(r["total_reps"] for r in batch.reports)
    console.print(
        f"[bold]{len(batch.reports)} analysed, {len(batch.failed)} failed, {total} reps in total[/bold]"
    )
