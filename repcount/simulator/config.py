"""Session configuration: everything that varies between simulated sessions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RATES_HZ = (12.5, 25.0, 26.0, 50.0, 52.0, 100.0, 104.0, 200.0, 208.0, 416.0)
SIDES = ("left", "right")
PLACEMENTS = ("wrist", "armband")
GRIPS = ("palms-down", "palms-up", "neutral")
DEVICES = ("imu", "watch", "phone")
ACTIVITIES = ("still", "fidget", "shake", "walk", "adjust")


@dataclass
class SessionConfig:
    """One simulated session. Angles in degrees, times in seconds, lengths in metres.

    Fields left as None are drawn from `seed`, so a config plus its seed always gives the same session.
    """

    seed: int = 0
    rate_hz: float = 100.0
    # exercise
    sets: int = 2
    reps: int | tuple[int, ...] = 12  # per set; a tuple gives each set its own count (cycled when padding)
    rest_s: float = 20.0  # arms down: from the end of lowering to the next count-in
    rest_variation: float = 0.0  # relative sd of each rest
    side: str = "right"
    placement: str = "wrist"  # 'wrist' (sensor on the distal forearm) or 'armband' (upper arm)
    device: str = "imu"  # 'imu' (small strap sensor), 'watch' (wrist only), 'phone' (armband only)
    grip: str = "palms-down"
    # sensor housing rotation relative to the strap frame (x along the limb towards the hand, z out of
    # the skin), as a rotation vector in radians; None draws one: uniformly random for a strap 'imu',
    # face/screen outwards with y along the limb for a watch or phone
    mount_rotvec: tuple[float, float, float] | None = None
    strap_angle_deg: float | None = None  # sensor position around the limb; 0 = back of wrist / outer arm
    heading_deg: float | None = None  # which way the person faces in the world frame
    # person
    rom_deg: float = 80.0  # horizontal arc of a full rep
    rom_variation: float = 0.05  # relative sd rep to rep
    arm_height_deg: float = 90.0  # shoulder flexion during a set, 90 = arms horizontal
    tempo_out_s: float = 1.0
    tempo_hold_s: float = 0.5
    tempo_return_s: float = 1.2
    tempo_pause_s: float = 0.6
    tempo_variation: float = 0.1  # sd of the log of each phase duration
    fatigue: float = 0.0  # 0..1; at 1 the last rep of a set has 25 % less range and 40 % slower tempo
    partial_prob: float = 0.0  # partial reps reach 25-55 % of the set's range
    rowing_prob: float = 0.0  # hands pulled straight back with bent elbows
    profile_mix: float = 0.3  # share of phases using a non-minimum-jerk or skewed profile
    wobble: float = 1.0  # scale of natural imperfection: wobble, tremor, sway, posture offsets; 0 = ideal
    between_sets: tuple[str, ...] = ("still", "fidget")
    lead_in_s: float = 3.0
    tail_s: float = 3.0
    duration_s: float | None = None  # pad with more sets (then rest) to reach this length
    # anatomy
    upper_arm_m: float = 0.30
    forearm_m: float = 0.27
    shoulder_offset_m: float = 0.18
    # sensor imperfections (all off when `imperfections` is False)
    imperfections: bool = True
    acc_noise: float = 0.03  # white noise sd per sample, m/s^2
    gyro_noise: float = 0.004  # rad/s
    acc_bias: float = 0.05  # constant bias drawn uniformly within +-this, per axis
    gyro_bias: float = 0.01
    acc_bias_drift: float = 0.01  # sd of the slow (Gauss-Markov, 20 min) bias drift
    gyro_bias_drift: float = 0.002
    scale_error: float = 0.01  # drawn uniformly within +-this, per axis
    misalignment_deg: float = 0.5  # sd of the axis cross-coupling
    acc_range_g: float = 16.0
    gyro_range_dps: float = 2000.0
    rate_error: float = 0.0  # actual rate = nominal * (1 + rate_error)
    jitter: float = 0.02  # sd of timestamp jitter as a fraction of the period (clipped to 0.45)
    drop_prob: float = 0.0  # chance that any one sample is lost
    gaps_per_hour: float = 0.0  # short gaps of 0.1-1 s of lost samples
    mark_gaps: bool = True  # report the short gaps in meta.gaps, as a reader with sequence numbers would
    timestamp_resolution_s: float = 0.0  # e.g. 0.001 for phones and watches that stamp in whole ms
    shared_timestamp_prob: float = 0.0  # chance a sample carries the previous sample's timestamp
    extra: dict[str, Any] = field(default_factory=dict)  # free-form labels copied into the truth

    def __post_init__(self) -> None:
        if isinstance(self.reps, list):
            self.reps = tuple(int(r) for r in self.reps)
        if isinstance(self.between_sets, list | str):
            self.between_sets = (
                (self.between_sets,) if isinstance(self.between_sets, str) else tuple(self.between_sets)
            )
        if self.mount_rotvec is not None:
            self.mount_rotvec = tuple(float(v) for v in self.mount_rotvec)  # type: ignore[assignment]
        if not 12.5 <= self.rate_hz <= 416.0:
            raise ValueError(f"rate_hz must be within 12.5..416, got {self.rate_hz}")
        for name, value, allowed in (
            ("side", self.side, SIDES),
            ("placement", self.placement, PLACEMENTS),
            ("grip", self.grip, GRIPS),
            ("device", self.device, DEVICES),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.device == "watch" and self.placement != "wrist":
            raise ValueError("a watch is worn on the wrist")
        if self.device == "phone" and self.placement != "armband":
            raise ValueError("a phone is worn in an armband")
        bad = [a for a in self.between_sets if a not in ACTIVITIES]
        if bad:
            raise ValueError(f"unknown between-set activities {bad}; choose from {ACTIVITIES}")
        reps = self.reps if isinstance(self.reps, tuple) else (self.reps,)
        if self.sets < 1 or not reps or min(reps) < 1:
            raise ValueError("need at least one set of at least one rep")
        if min(self.tempo_out_s, self.tempo_return_s) <= 0 or min(self.tempo_hold_s, self.tempo_pause_s) < 0:
            raise ValueError("out and return must take time; hold and pause cannot be negative")

    def reps_in_set(self, index: int) -> int:
        reps = self.reps if isinstance(self.reps, tuple) else (self.reps,)
        return int(reps[index % len(reps)])

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d


def _as_rng(rng_or_seed: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng_or_seed, np.random.Generator):
        return rng_or_seed
    return np.random.default_rng(rng_or_seed)


def random_config(rng_or_seed: np.random.Generator | int | None, **overrides: Any) -> SessionConfig:
    """Draw a realistic, diverse session. Every value is drawn in a fixed order whatever the overrides,
    so overriding one field leaves the others as they would have been."""
    rng = _as_rng(rng_or_seed)
    u = rng.uniform
    d: dict[str, Any] = {}
    d["seed"] = int(rng.integers(0, 2**31 - 1))
    d["rate_hz"] = float(RATES_HZ[rng.integers(len(RATES_HZ))])
    d["sets"] = int(rng.choice([1, 2, 2, 2, 3, 3, 4]))
    base_reps = 12 if u() < 0.5 else int(rng.integers(5, 21))
    per_set = tuple(int(max(3, base_reps + rng.integers(-3, 4))) for _ in range(4))
    d["reps"] = per_set[: d["sets"]] if u() < 0.25 else base_reps
    d["rest_s"] = float(np.clip(rng.lognormal(np.log(20.0), 0.35), 8.0, 60.0))
    d["rest_variation"] = u(0.0, 0.3)
    d["side"] = SIDES[rng.integers(2)]
    d["placement"] = "wrist" if u() < 0.65 else "armband"
    device_draw = u()
    d["grip"] = GRIPS[rng.integers(3)]
    d["rom_deg"] = u(60.0, 100.0)
    d["rom_variation"] = u(0.02, 0.12)
    d["arm_height_deg"] = u(75.0, 100.0)
    # tempo from fast (0.5 s a phase) to slow (3 s a phase)
    out = float(np.exp(u(np.log(0.5), np.log(3.0))))
    d["tempo_out_s"] = out
    d["tempo_return_s"] = float(np.clip(out * u(0.7, 1.6), 0.5, 3.0))
    hold, pause = u(0.0, 1.5), u(0.0, 1.5)
    d["tempo_hold_s"] = hold if u() > 0.25 else u(0.0, 0.1)
    d["tempo_pause_s"] = pause if u() > 0.2 else u(0.0, 0.15)
    d["tempo_variation"] = u(0.03, 0.25)
    fatigue = u(0.2, 1.0)
    d["fatigue"] = fatigue if u() < 0.6 else 0.0
    partial = u(0.03, 0.25)
    d["partial_prob"] = partial if u() < 0.4 else 0.0
    rowing = u(0.03, 0.2)
    d["rowing_prob"] = rowing if u() < 0.3 else 0.0
    d["profile_mix"] = u(0.0, 0.7)
    d["wobble"] = u(0.5, 1.8)
    d["between_sets"] = ("still",) + tuple(a for a in ACTIVITIES[1:] if u() < 0.5)
    d["lead_in_s"] = u(1.0, 10.0)
    d["tail_s"] = u(1.0, 10.0)
    d["upper_arm_m"] = u(0.26, 0.34)
    d["forearm_m"] = u(0.23, 0.30)
    d["shoulder_offset_m"] = u(0.15, 0.21)
    d["acc_noise"] = u(0.02, 0.08)
    d["gyro_noise"] = u(0.002, 0.01)
    d["acc_bias"] = u(0.0, 0.15)
    d["gyro_bias"] = u(0.0, 0.025)
    d["acc_bias_drift"] = u(0.0, 0.02)
    d["gyro_bias_drift"] = u(0.0, 0.005)
    d["scale_error"] = u(0.0, 0.03)
    d["misalignment_deg"] = u(0.0, 1.5)
    d["acc_range_g"] = float(rng.choice([8.0, 16.0]))
    d["gyro_range_dps"] = float(rng.choice([1000.0, 2000.0]))
    d["rate_error"] = float(np.clip(rng.normal(0.0, 0.005), -0.02, 0.02))
    jitter_small, jitter_large = u(0.0, 0.1), u(0.1, 0.4)
    d["jitter"] = jitter_small if u() < 0.7 else jitter_large
    drop = u(0.0, 0.01)
    d["drop_prob"] = drop if u() < 0.5 else 0.0
    gaps = u(10.0, 60.0)
    d["gaps_per_hour"] = gaps if u() < 0.3 else 0.0
    ms_stamps, shared = u() < 0.6, u(0.0, 0.03)

    placement = overrides.get("placement", d["placement"])
    if placement == "wrist":
        d["device"] = "imu" if device_draw < 0.5 else "watch"
    else:
        d["device"] = "imu" if device_draw < 0.6 else "phone"
    device = overrides.get("device", d["device"])
    # phones and watches stamp samples in whole milliseconds and sometimes in batches
    if device in ("watch", "phone") and ms_stamps:
        d["timestamp_resolution_s"] = 0.001
        d["shared_timestamp_prob"] = shared
    d.update(overrides)
    return SessionConfig(**d)


def suite_configs(n: int = 200, seed: int = 0) -> list[SessionConfig]:
    """The seeded accuracy benchmark: diverse sessions, with rate, side, placement and grip cycled so that
    every combination of the four appears in each 120 consecutive configs."""
    configs = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        configs.append(
            random_config(
                rng,
                rate_hz=RATES_HZ[i % len(RATES_HZ)],
                side=SIDES[(i // len(RATES_HZ)) % 2],
                placement=PLACEMENTS[(i // (2 * len(RATES_HZ))) % 2],
                grip=GRIPS[i % len(GRIPS)],
            )
        )
    return configs
