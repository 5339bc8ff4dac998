"""simulate_session: sample the planned motion like a real IMU would, and write the ground truth."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from scipy.signal import lfilter

from sensor.recording import STANDARD_GRAVITY, Gap, Recording, RecordingMeta

from .config import SessionConfig
from .kinematics import imu_ideal, pose, relative_rotvec
from .plan import Plan, build_plan

# half-step of the central differences; far below any sample period (>= 2.4 ms) so the three
# evaluation times of consecutive samples stay interleaved and sorted
DELTA_S = 2e-4
CHUNK = 1 << 16  # samples per chunk: bounds memory for long sessions
TRUTH_STEP_S = 0.002  # grid for integrating the truth range of motion
BIAS_DRIFT_TAU_S = 1200.0


def _ideal_chunk(plan: Plan, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rot, pos = pose(plan.body, plan.evaluate(s, (-DELTA_S, 0.0, DELTA_S)))
    omega, force, _ = imu_ideal(rot, pos, DELTA_S)
    return omega, force


class _SensorErrors:
    """Per-session imperfections of one triad (accelerometer or gyroscope)."""

    def __init__(
        self,
        rng: np.random.Generator,
        duration_s: float,
        noise: float,
        bias: float,
        drift: float,
        scale: float,
        misalignment_deg: float,
        full_range: float,
    ) -> None:
        off = rng.normal(0.0, np.deg2rad(misalignment_deg), (3, 3))
        np.fill_diagonal(off, 0.0)
        self.matrix = (np.eye(3) + np.diag(rng.uniform(-scale, scale, 3))) @ (np.eye(3) + off)
        self.bias = rng.uniform(-bias, bias, 3)
        # slow bias drift: first-order Gauss-Markov process at 1 Hz, interpolated
        n = int(np.ceil(duration_s)) + 2
        a = np.exp(-1.0 / BIAS_DRIFT_TAU_S)
        e = rng.standard_normal((n, 3)) * drift * np.sqrt(1.0 - a * a)
        e[0] = rng.standard_normal(3) * drift
        self.drift = lfilter([1.0], [1.0, -a], e, axis=0)
        self.noise = noise
        self.lsb = full_range / 32768.0
        self.rng = rng

    def apply(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        y = x @ self.matrix.T + self.bias
        grid = np.arange(len(self.drift), dtype=float)
        for k in range(3):
            y[:, k] += np.interp(s, grid, self.drift[:, k])
        y += self.rng.standard_normal(y.shape) * self.noise
        # int16 output registers at the configured full range
        return np.clip(np.rint(y / self.lsb), -32768, 32767) * self.lsb


def _sample_times(cfg: SessionConfig, duration: float, rng: np.random.Generator) -> dict[str, Any]:
    """Which samples survive, when they were taken, and what timestamps they carry."""
    imperfect = cfg.imperfections
    rate = cfg.rate_hz * (1.0 + cfg.rate_error) if imperfect else cfg.rate_hz
    period = 1.0 / rate
    n = int(np.floor(duration * rate)) + 1
    keep = np.ones(n, dtype=bool)
    gaps: list[tuple[int, int]] = []
    if imperfect and cfg.drop_prob > 0:
        keep &= rng.random(n) >= cfg.drop_prob
    if imperfect and cfg.gaps_per_hour > 0 and duration > 3.0:
        for _ in range(rng.poisson(cfg.gaps_per_hour * duration / 3600.0)):
            g0 = rng.uniform(1.0, duration - 2.0)
            i0, i1 = int(np.ceil(g0 * rate)), int(np.ceil((g0 + rng.uniform(0.1, 1.0)) * rate))
            keep[i0:i1] = False
            gaps.append((i0, i1))
    keep[0] = True
    idx = np.flatnonzero(keep)
    s = idx * period
    stamps = s.copy()
    if imperfect and cfg.jitter > 0:
        jit = np.clip(cfg.jitter, 0.0, 0.45)
        stamps += np.clip(rng.standard_normal(len(s)) * jit, -0.45, 0.45) * period
    if imperfect and cfg.timestamp_resolution_s > 0:
        stamps = np.floor(stamps / cfg.timestamp_resolution_s) * cfg.timestamp_resolution_s
    if imperfect and cfg.shared_timestamp_prob > 0:
        shared = rng.random(len(stamps)) < cfg.shared_timestamp_prob
        shared[0] = False
        stamps = np.where(shared, -np.inf, stamps)
    stamps = np.maximum.accumulate(stamps)  # forward-fills shared stamps; never runs backwards
    return {"idx": idx, "s": s, "stamps": stamps, "n_total": n, "rate": rate, "gaps": gaps}


def _rep_metrics(plan: Plan, reps: list) -> list[dict[str, float]]:
    """Sensor sweep about the world vertical over each rep's out phase, on a fine grid."""
    sigma = plan.body.sigma
    results: list[dict[str, float]] = []
    batch: list[np.ndarray] = []

    def flush() -> None:
        if not batch:
            return
        lengths = [len(g) for g in batch]
        rot, _ = pose(plan.body, plan.evaluate(np.concatenate(batch)))
        start = 0
        for g, m in zip(batch, lengths, strict=True):
            r = rot[..., start : start + m]
            inc = relative_rotvec(r[..., :-1], r[..., 1:], "world")
            dt = np.diff(g)
            outward = sigma * inc[2]
            results.append(
                {
                    "rom_deg": float(np.rad2deg(outward.sum())),
                    "peak_speed_dps": float(np.rad2deg(np.max(outward / dt))),
                    "peak_gyro_dps": float(np.rad2deg(np.max(np.linalg.norm(inc, axis=0) / dt))),
                }
            )
            start += m
        batch.clear()

    total = 0
    for rep in reps:
        m = max(100, int(np.ceil(rep.out_s / TRUTH_STEP_S))) + 1
        batch.append(np.linspace(rep.start, rep.turn, m))
        total += m
        if total > 200_000:
            flush()
            total = 0
    flush()
    return results


def _truth(plan: Plan, cfg: SessionConfig, offset: float, times: dict, gap_marks: list[Gap]) -> dict:
    def ts(x: float) -> float:
        return round(float(x - offset), 6)

    all_reps = [rep for sp in plan.sets for rep in sp.reps]
    metrics = _rep_metrics(plan, all_reps)
    sets = []
    i = 0
    for sp in plan.sets:
        reps = []
        for rep in sp.reps:
            m = metrics[i]
            i += 1
            nxt = None if rep.pause_s is None else ts(rep.end + rep.pause_s)
            reps.append(
                {
                    "index": rep.index,
                    "start_s": ts(rep.start),
                    "turn_s": ts(rep.turn),
                    "leave_s": ts(rep.leave),
                    "end_s": ts(rep.end),
                    "next_start_s": nxt,
                    "tempo": {
                        "out_s": round(rep.out_s, 6),
                        "hold_s": round(rep.hold_s, 6),
                        "return_s": round(rep.return_s, 6),
                        "pause_s": None if rep.pause_s is None else round(rep.pause_s, 6),
                    },
                    "rom_deg": round(m["rom_deg"], 4),
                    "arm_arc_deg": round(float(rep.arc_deg), 4),
                    "peak_speed_dps": round(m["peak_speed_dps"], 3),
                    "peak_gyro_dps": round(m["peak_gyro_dps"], 3),
                    "partial": bool(rep.partial),
                    "flags": ["rowing"] if rep.rowing else [],
                }
            )
        _rows_short_of_range_are_partial(reps)
        sets.append(
            {
                "index": sp.index,
                "start_s": ts(sp.reps[0].start),
                "end_s": ts(sp.reps[-1].end),
                "count_in_start_s": ts(sp.count_in_start),
                "count_in_end_s": ts(sp.count_in_end),
                "lower_start_s": ts(sp.lower_start),
                "lower_end_s": ts(sp.lower_end),
                "full_reps": sum(1 for r in reps if not r["partial"]),
                "reps": reps,
            }
        )
    events = []
    for e in plan.events:
        ev = {"kind": e["kind"], "start_s": ts(e["start_s"]), "end_s": ts(e["end_s"])}
        if "turns" in e:
            ev["turns"] = [
                {"start_s": ts(x["start_s"]), "end_s": ts(x["end_s"]), "deg": x["deg"]} for x in e["turns"]
            ]
        events.append(ev)
    return {
        "config": cfg.to_dict(),
        "rate_hz": float(cfg.rate_hz),
        "actual_rate_hz": float(times["rate"]),
        "side": cfg.side,
        "placement": cfg.placement,
        "grip": cfg.grip,
        "device": cfg.device,
        "duration_s": ts(plan.duration_s),
        "total_full_reps": sum(s["full_reps"] for s in sets),
        "sets": sets,
        "events": events,
        "gaps": [{"start_s": g.start_s, "end_s": g.end_s} for g in gap_marks],
        "dropped_samples": int(times["n_total"] - len(times["idx"])),
        "mount": {
            "rotvec_rad": plan.mount_rotvec,
            "strap_angle_deg": plan.strap_angle_deg,
            "sensor_along_m": plan.body.sensor_along_m,
            "sensor_radius_m": plan.body.sensor_radius_m,
        },
        "heading_deg": plan.heading_deg,
    }


def simulate_session(config: SessionConfig) -> tuple[Recording, dict]:
    """Simulate one session: what the IMU delivers, and the ground truth.

    The truth dict is JSON-ready. Times are seconds on the recording's clock (0 = its first sample).

    - config, rate_hz (nominal), actual_rate_hz, side, placement, grip, device, duration_s,
      total_full_reps, heading_deg, mount {rotvec_rad, strap_angle_deg, sensor_along_m, sensor_radius_m}
    - gaps [{start_s, end_s}]: the short gaps (as in meta.gaps); dropped_samples: all lost samples
    - sets [{index, start_s (first rep starts), end_s (last rep ends), count_in_start_s, count_in_end_s,
      lower_start_s, lower_end_s, full_reps (reps not partial), reps}]
    - reps [{index, start_s (hands leave the start position), turn_s (arms open), leave_s, end_s (back at
      the start position), next_start_s or None, tempo {out_s, hold_s, return_s, pause_s (None for a
      set's last rep)}, rom_deg, arm_arc_deg, peak_speed_dps, peak_gyro_dps, partial, flags}]
      rom_deg: the sensor's sweep about the world vertical over the out phase, i.e. the integral of the
      world-vertical component of its angular rate, signed so that opening the arms is positive on
      either side (near zero or negative for rowing reps at the wrist). arm_arc_deg: the planned
      horizontal abduction of the shoulder. peak_speed_dps: peak outward vertical rate in the out
      phase; peak_gyro_dps: peak |omega|. flags: ["rowing"] or [].
    - events [{kind (count_in, lower, walk, shake, fidget, adjust), start_s, end_s}]; walks also list
      their 180 degree turns.
    """
    cfg = config
    plan = build_plan(cfg)
    rng_time = np.random.default_rng([cfg.seed, 4])
    rng_acc = np.random.default_rng([cfg.seed, 5])
    rng_gyro = np.random.default_rng([cfg.seed, 6])
    times = _sample_times(cfg, plan.duration_s, rng_time)
    s, stamps = times["s"], times["stamps"]
    n = len(s)
    acc = np.empty((n, 3))
    gyro = np.empty((n, 3))
    errors = None
    if cfg.imperfections:
        g = STANDARD_GRAVITY
        acc_errors = _SensorErrors(
            rng_acc,
            plan.duration_s,
            cfg.acc_noise,
            cfg.acc_bias,
            cfg.acc_bias_drift,
            cfg.scale_error,
            cfg.misalignment_deg,
            cfg.acc_range_g * g,
        )
        gyro_errors = _SensorErrors(
            rng_gyro,
            plan.duration_s,
            cfg.gyro_noise,
            cfg.gyro_bias,
            cfg.gyro_bias_drift,
            cfg.scale_error,
            cfg.misalignment_deg,
            np.deg2rad(cfg.gyro_range_dps),
        )
        errors = (acc_errors, gyro_errors)
    for a in range(0, n, CHUNK):
        sc = s[a : a + CHUNK]
        omega, force = _ideal_chunk(plan, sc)
        if errors is not None:
            force = errors[0].apply(force, sc)
            omega = errors[1].apply(omega, sc)
        acc[a : a + CHUNK] = force
        gyro[a : a + CHUNK] = omega

    offset = float(stamps[0])
    t = stamps - offset
    gap_marks: list[Gap] = []
    if cfg.mark_gaps and times["gaps"]:
        # the last sample kept before each gap; overlapping gaps share it and merge
        before = {int(np.searchsorted(times["idx"], i0)) - 1 for i0, _ in times["gaps"]}
        for b in sorted(i for i in before if 0 <= i < n - 1):
            gap_marks.append(Gap(float(t[b]), float(t[b + 1]), "lost samples"))

    notes = ["simulated session; ground truth returned alongside"]
    if cfg.imperfections and cfg.timestamp_resolution_s > 0:
        notes.append(f"timestamps rounded down to {cfg.timestamp_resolution_s * 1000:g} ms")
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        notes.append("some samples share a timestamp")
    # a fixed, seed-dependent wall-clock start keeps sessions reproducible
    base = datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc)
    base += timedelta(days=cfg.seed % 300, seconds=cfg.seed % 3600)
    meta = RecordingMeta(
        format="simulated",
        path="",
        start_utc=base + timedelta(seconds=offset),
        nominal_rate_hz=float(cfg.rate_hz),
        gaps=gap_marks,
        notes=notes,
        device=f"simulated {cfg.device} ({cfg.placement}, {cfg.side})",
    )
    truth = _truth(plan, cfg, offset, times, gap_marks)
    return Recording(t=t, acc=acc, gyro=gyro, meta=meta), truth


ROW_PARTIAL_SHARE = 0.6


def _rows_short_of_range_are_partial(reps: list[dict]) -> None:
    """A row that sweeps less than ROW_PARTIAL_SHARE of the set's typical arc about the vertical is
    partial as well as flagged: by the report's definition its range is clearly short (at the wrist a
    row barely turns; on the upper arm it turns as far as a pull-apart and stays a full rep)."""
    arcs = [r["rom_deg"] for r in reps if not r["partial"] and not r["flags"]]
    if not arcs:
        return
    typical = float(np.median(arcs))
    for r in reps:
        if "rowing" in r["flags"] and r["rom_deg"] < ROW_PARTIAL_SHARE * typical:
            r["partial"] = True
