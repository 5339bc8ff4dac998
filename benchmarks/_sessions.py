"""Long simulated sessions for the speed benchmarks, generated once and cached on disk.

An 8-hour session at 416 Hz takes about a minute and over a gigabyte to simulate, so it is kept
(as a pickle of the recording and its truth) in REPCOUNT_BENCH_CACHE, by default
~/.cache/repcount-bench, and written out in each file format there on first use as well.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sensor.recording import Recording  # noqa: E402

SEED = 1


def cache_dir() -> Path:
    d = Path(os.environ.get("REPCOUNT_BENCH_CACHE", Path.home() / ".cache" / "repcount-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _stem(hours: float, rate: float) -> str:
    return f"session-{hours:g}h-{rate:g}hz-seed{SEED}"


def session(hours: float, rate: float) -> tuple[Recording, dict]:
    """The seeded session of `hours` at `rate` Hz, simulated on first use, then loaded from the cache."""
    path = cache_dir() / (_stem(hours, rate) + ".pkl")
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    from repcount.simulator import random_config, simulate_session

    rec, truth = simulate_session(random_config(SEED, rate_hz=rate, duration_s=hours * 3600))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump((rec, truth), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)  # never leave a half-written cache entry behind
    return rec, truth


def written(hours: float, rate: float, fmt: str, rec: Recording | None = None) -> Path:
    """The session written in format `fmt` (a file or a folder): what `repcount analyze` is given."""
    from sensor.writers import write_recording

    base = cache_dir() / f"{_stem(hours, rate)}-{fmt}"
    done = base.with_name(base.name + ".done")
    if done.exists():
        return Path(done.read_text())
    if rec is None:
        rec, _ = session(hours, rate)
    if base.exists():
        shutil.rmtree(base) if base.is_dir() else base.unlink()
    paths = write_recording(rec, base, fmt)
    target = paths[0] if len(paths) == 1 else paths[0].parent
    done.write_text(str(target))
    return target
