"""`repcount`: the command line."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from sensor.errors import InputError

EXERCISES = ("pull-apart", "generic")


def _pairs(text: str | None, option: str) -> dict[str, str] | None:
    if not text:
        return None
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(option, f"expected KEY=VALUE pairs separated by commas, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _print_json(doc: dict) -> None:
    # One string, one write: json.dump writes every token to the stream on its own, which takes
    # longer than the JSON itself for an hour's reps.
    sys.stdout.write(json.dumps(doc, indent=1) + "\n")


def analyze(args: argparse.Namespace) -> int:
    if Path(args.path).is_dir():
        from repcount.batch import recordings_in

        paths = recordings_in(args.path)
        if paths is not None:
            return analyze_folder(args, paths)
    from analysis import process
    from repcount.report import print_table, report_dict
    from sensor.readers import read_recording

    if args.plot:
        _check_plot_path(Path(args.plot))  # before the analysis, not after it
    rec = read_recording(
        args.path, columns=_pairs(args.columns, "--columns"), units=_pairs(args.units, "--units")
    )
    if len(rec) < 2:
        raise InputError(args.path, "expected at least two samples")
    result = process(rec, exercise=args.exercise, workers=args.jobs or os.cpu_count() or 1)
    if args.plot:
        from repcount.plot import plot_session

        try:
            plot_session(result, args.plot, title=f"{Path(args.path).name}: {result.total_reps} reps")
        except OSError as exc:
            raise InputError(args.plot, f"cannot write the plot: {exc.strerror or exc}") from None
    if args.json:
        _print_json(report_dict(result, str(args.path), rec.meta.format))
    else:
        print_table(result, str(args.path), rec.meta.format)
        if args.plot:
            print(f"Plot written to {args.plot}")
    return 0


# What matplotlib writes (its Agg, PDF, PS and SVG back ends; Pillow for the rest).
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".eps", ".ps")


def _check_plot_path(path: Path) -> None:
    """A plot file that can be written: a known image suffix, in a folder that exists."""
    if path.is_dir():
        raise InputError(path, "--plot needs a file name (e.g. session.png), not a folder")
    if path.suffix.lower() not in PLOT_SUFFIXES:
        kinds = ", ".join(PLOT_SUFFIXES)
        raise InputError(path, f"--plot writes {kinds} files; expected one of those suffixes")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(path, f"--plot: the folder {str(folder)!r} does not exist")


def analyze_folder(args: argparse.Namespace, paths: list[Path]) -> int:
    """A folder of several recordings: analyse each on every core, then one table or JSON document.

    Exit status 0 when at least one recording was analysed (the others are listed with their error),
    2 when none was.
    """
    from repcount.batch import analyze_batch, batch_dict, exit_status, print_summary

    if args.plot:
        raise InputError(args.path, f"--plot needs one recording, but this folder holds {len(paths)}")
    batch = analyze_batch(
        paths,
        exercise=args.exercise,
        columns=_pairs(args.columns, "--columns"),
        units=_pairs(args.units, "--units"),
        jobs=args.jobs,
    )
    if args.json:
        _print_json(batch_dict(batch))
    else:
        print_summary(batch, root=args.path)
    return exit_status(batch)


def simulate(args: argparse.Namespace) -> int:
    from repcount.simulator import random_config, simulate_session
    from sensor.writers import FORMAT_NAMES, write_recording

    overrides = {
        k: v
        for k, v in {
            "sets": args.sets,
            "reps": args.reps,
            "rest_s": args.rest,
            "duration_s": args.duration,
            "rate_hz": args.rate,
        }.items()
        if v is not None
    }
    if args.format not in FORMAT_NAMES:
        kinds = ", ".join(FORMAT_NAMES)
        raise InputError("--format", f"unknown format {args.format!r}; expected one of {kinds}")
    for option, value in (("--rest", args.rest), ("--duration", args.duration)):
        if value is not None and not value >= 0:
            raise InputError(option, f"expected seconds, 0 or more; got {value:g}")
    try:
        config = random_config(args.seed, **overrides)
        rec, truth = simulate_session(config)
    except ValueError as exc:  # the simulator's own checks: sets, reps, rate
        raise InputError("simulate", str(exc)) from None
    out = Path(args.out)
    if out.is_dir():
        raise InputError(out, "--out needs a file name (e.g. session.csv), not a folder")
    try:
        written = write_recording(rec, out, args.format)
    except OSError as exc:
        raise InputError(out, f"cannot write: {exc.strerror or exc}") from None
    truth_path = truth_file_for(out)
    truth_path.write_text(json.dumps(truth, indent=1))
    full = sum(1 for s in truth["sets"] for r in s["reps"] if not r["partial"])
    print(
        f"Wrote {', '.join(str(p) for p in written)} ({args.format}, {rec.duration_s:.0f} s, "
        f"{len(truth['sets'])} sets, {full} full reps) and {truth_path}"
    )
    return 0


def truth_file_for(out: Path) -> Path:
    """Where the ground truth of a simulated session goes: beside it, `<name>.truth.json`."""
    base = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(base + ".truth.json")


def build_parser(live: bool = True) -> argparse.ArgumentParser:
    """The command line; `live=False` leaves out `live` and `scan`, whose module loads asyncio."""
    parser = argparse.ArgumentParser(prog="repcount", description="Count band pull-apart reps from an IMU.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "analyze", help="analyse a recorded session (file, folder or zip), or a folder of many sessions"
    )
    p.add_argument("path")
    p.add_argument("--exercise", choices=EXERCISES, default="pull-apart")
    p.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    p.add_argument("--plot", metavar="FILE.png", help="write a plot of the session")
    p.add_argument("--columns", help="column roles for other CSVs, e.g. t=time,ax=AccX,...,gz=GyrZ")
    p.add_argument("--units", help="units for other CSVs, e.g. acc=g,gyro=deg/s,t=ms")
    p.add_argument(
        "--jobs",
        type=int,
        help="processes for a folder of many sessions, or for the sets of a long one (default: every core)",
    )
    p.set_defaults(func=analyze)

    p = sub.add_parser("simulate", help="write a simulated session and its ground truth")
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="repcount-csv")
    p.add_argument("--sets", type=int)
    p.add_argument("--reps", type=int)
    p.add_argument("--rest", type=float)
    p.add_argument("--duration", type=float)
    p.add_argument("--rate", type=float)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=simulate)

    if live:
        from repcount.live_cli import add_commands

        add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `analyze` and `simulate` need no live-mode code: skipping its import starts them sooner.
    parser = build_parser(live=not argv or argv[0] not in ("analyze", "simulate"))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"repcount: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run() -> NoReturn:
    """The `repcount` command: `main`, then a quick exit."""
    # Every matrix here is a few columns wide, too small for BLAS threads to help; started, they
    # spin on the other core (0.3 s of CPU and 0.05-0.1 s of wall time on an hour's analysis, and
    # they compete with the second worker of a folder's analysis). Set before numpy is imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    status = main()
    # Shutting down, the interpreter walks every object numpy, pandas and scipy made, more than
    # once: 0.1-0.15 s, a tenth of analysing an hour. Frozen objects are left out of those walks.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
