"""Turn a SessionConfig into joint-angle channels and the timeline of sets, reps and events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from .config import SessionConfig
from .kinematics import CHANNELS, Body, rot_x, rot_y, rot_z, rotvec_to_matrix
from .motion import MINJERK, SEPTIC, SINE2, Channel

DEG = np.pi / 180.0


@dataclass
class RepPlan:
    index: int
    start: float
    out_s: float
    hold_s: float
    return_s: float
    pause_s: float | None
    partial: bool
    rowing: bool
    arc_deg: float  # planned horizontal abduction of the shoulder

    @property
    def turn(self) -> float:
        return self.start + self.out_s

    @property
    def leave(self) -> float:
        return self.turn + self.hold_s

    @property
    def end(self) -> float:
        return self.leave + self.return_s


@dataclass
class SetPlan:
    index: int
    count_in_start: float
    count_in_s: float
    reps: list[RepPlan]
    end_pause_s: float
    lower_s: float
    # posture and per-rep movement details, applied when the set is written into the channels
    theta_deg: float
    h0_deg: float
    details: list[dict] = field(default_factory=list)

    @property
    def count_in_end(self) -> float:
        return self.count_in_start + self.count_in_s

    @property
    def lower_start(self) -> float:
        return self.reps[-1].end + self.end_pause_s

    @property
    def lower_end(self) -> float:
        return self.lower_start + self.lower_s


@dataclass
class Plan:
    config: SessionConfig
    body: Body
    channels: dict[str, Channel]
    sets: list[SetPlan]
    events: list[dict]
    duration_s: float
    heading_deg: float
    strap_angle_deg: float
    mount_rotvec: list[float]

    def evaluate(self, t: np.ndarray, offsets: tuple[float, ...] = (0.0,)) -> dict[str, np.ndarray]:
        """All joint channels at sorted session times t plus each offset, interleaved (see Channel)."""
        return {name: ch(t, offsets) for name, ch in self.channels.items()}


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """Uniformly distributed rotation vector (from a uniform unit quaternion)."""
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    if q[0] < 0:
        q = -q
    angle = 2.0 * np.arccos(min(1.0, q[0]))
    s = np.linalg.norm(q[1:])
    return q[1:] / s * angle if s > 1e-12 else np.zeros(3)


def _band_gain(freq_hz: float, rate_hz: float) -> float:
    """Magnitude of a second-order low-pass at 0.4 x the output rate: the sensor's anti-alias filter."""
    return float(1.0 / np.sqrt(1.0 + (freq_hz / (0.4 * rate_hz)) ** 4))


class _Builder:
    def __init__(self, cfg: SessionConfig) -> None:
        self.cfg = cfg
        self.w = cfg.wobble
        self.rng_person = np.random.default_rng([cfg.seed, 1])
        self.rng = np.random.default_rng([cfg.seed, 2])
        self.rng_mount = np.random.default_rng([cfg.seed, 3])
        self.sigma = 1.0 if cfg.side == "left" else -1.0
        self.events: list[dict] = []
        self.sets: list[SetPlan] = []
        self._person()
        self.ch = {
            "psi": Channel(self.heading),
            "pitch": Channel(0.0),
            "roll": Channel(0.0),
            "bx": Channel(0.0),
            "by": Channel(0.0),
            "bz": Channel(0.0),
            "theta": Channel(self.theta_hang),
            "h": Channel(0.0),
            "rho_h": Channel(self.rho_h_rest),
            "phi": Channel(self.phi_rest),
            "rho": Channel(self.rho_rest),
        }
        assert tuple(self.ch) == CHANNELS
        self._steady_wobble()

    # -- person and sensor ---------------------------------------------------------------------------
    def _person(self) -> None:
        cfg, r, w = self.cfg, self.rng_person, self.w
        self.heading = (cfg.heading_deg if cfg.heading_deg is not None else r.uniform(0.0, 360.0)) * DEG
        self.theta_hang = (5.0 + w * r.uniform(-3.0, 4.0)) * DEG
        self.phi_rest = (10.0 + w * r.uniform(-5.0, 5.0)) * DEG
        self.phi_set = w * r.uniform(0.0, 6.0) * DEG
        self.rho_rest = r.uniform(-10.0, 40.0) * DEG
        self.rho_h_rest = (-90.0 + w * r.normal(0.0, 8.0)) * DEG
        grip = {"palms-down": 90.0, "palms-up": -90.0, "neutral": 0.0}[cfg.grip]
        self.rho_grip = (grip + w * float(np.clip(r.normal(0.0, 8.0), -20.0, 20.0))) * DEG
        # part of a grip comes from rotating the upper arm: palms down turns the elbows out
        self.rho_h_set = ((grip - 90.0) / 2.0 + w * r.normal(0.0, 8.0)) * DEG
        self.lean_deg = w * r.uniform(0.0, 2.0)

        m = self.rng_mount
        mount_draw = _random_rotation(m)
        strap_draw = float(np.clip(m.normal(0.0, 25.0), -60.0, 60.0))
        along_draw, radius_draw = m.uniform(0.0, 1.0), m.uniform(0.0, 1.0)
        flip, in_plane, tilt = m.uniform(), m.normal(0.0, 10.0), m.normal(0.0, 5.0, 2)
        if cfg.device in ("watch", "phone"):
            # a watch face or phone screen looks out from the limb with its y axis along it, either way
            # round; only a bare strap sensor can sit in any orientation
            yaw = (-90.0 if flip < 0.5 else 90.0) + in_plane
            mat = rot_z(yaw * DEG) @ rot_x(tilt[0] * DEG) @ rot_y(tilt[1] * DEG)
            mount_draw = Rotation.from_matrix(mat).as_rotvec()
        self.mount_rotvec = list(cfg.mount_rotvec) if cfg.mount_rotvec is not None else list(mount_draw)
        self.strap_angle_deg = cfg.strap_angle_deg if cfg.strap_angle_deg is not None else strap_draw
        if cfg.placement == "wrist":
            along = cfg.forearm_m - (0.02 + 0.03 * along_draw)
            radius = {"imu": 0.025, "watch": 0.02}.get(cfg.device, 0.025) + 0.01 * radius_draw
        else:
            along = cfg.upper_arm_m * (0.4 + 0.2 * along_draw)
            radius = {"imu": 0.05, "phone": 0.065}.get(cfg.device, 0.05) + 0.015 * radius_draw
        self.body = Body(
            sigma=self.sigma,
            placement=cfg.placement,
            upper_arm_m=cfg.upper_arm_m,
            forearm_m=cfg.forearm_m,
            shoulder_offset_m=cfg.shoulder_offset_m,
            sensor_along_m=along,
            sensor_radius_m=radius,
            strap_angle=self.strap_angle_deg * DEG,
            mount=rotvec_to_matrix(np.array(self.mount_rotvec)),
        )

    def _steady_wobble(self) -> None:
        """Slow postural wobble, physiological tremor and torso sway, on all the time."""
        r, w, rate = self.rng_person, self.w, self.cfg.rate_hz
        specs = {
            # channel: (number, amplitude range, frequency range), angles in degrees, lengths in metres
            "theta": (3, (0.15, 0.5), (0.15, 1.2)),
            "h": (3, (0.15, 0.5), (0.15, 1.2)),
            "rho": (2, (0.3, 1.0), (0.15, 1.0)),
            "phi": (2, (0.2, 0.6), (0.15, 1.0)),
            "pitch": (2, (0.1, 0.5), (0.05, 0.4)),
            "roll": (2, (0.1, 0.5), (0.05, 0.4)),
            "psi": (2, (0.2, 0.6), (0.05, 0.4)),
            "bx": (2, (0.002, 0.006), (0.05, 0.3)),
            "by": (2, (0.002, 0.006), (0.05, 0.3)),
            "bz": (1, (0.0005, 0.0015), (0.1, 0.5)),
        }
        for name, (n, amp, freq) in specs.items():
            unit = 1.0 if name in ("bx", "by", "bz") else DEG
            for _ in range(n):
                a, f, ph = r.uniform(*amp), r.uniform(*freq), r.uniform(0.0, 2.0 * np.pi)
                self.ch[name].osc.add_steady(w * a * unit, f, ph)
        for name in ("theta", "h", "rho"):
            for _ in range(2):
                a, f, ph = r.uniform(0.002, 0.006), r.uniform(7.0, 11.0), r.uniform(0.0, 2.0 * np.pi)
                self.ch[name].osc.add_steady(w * a * DEG * _band_gain(f, rate), f, ph)

    # -- sets and reps ---------------------------------------------------------------------------------
    def _profile(self) -> tuple[int, float]:
        r = self.rng
        other, kind_draw, warp = r.uniform(), r.uniform(), r.uniform(-0.35, 0.35)
        if other >= self.cfg.profile_mix:
            return MINJERK, 0.0
        return (MINJERK, SEPTIC, SINE2)[int(kind_draw * 3)], warp

    def draw_set(self, k: int, start: float) -> SetPlan:
        cfg, r, w = self.cfg, self.rng, self.w
        n = cfg.reps_in_set(k)
        theta = cfg.arm_height_deg + w * r.normal(0.0, 2.0)
        h0 = w * r.uniform(-5.0, 3.0)
        set_range = cfg.rom_deg * float(np.exp(r.normal(0.0, cfg.rom_variation / 2.0)))
        count_in_s, settle = r.uniform(0.8, 2.0), r.uniform(0.4, 1.5)
        sp = SetPlan(k, start, count_in_s, [], r.uniform(0.3, 1.2), r.uniform(0.8, 2.0), theta, h0)
        t = start + count_in_s + settle
        tv = cfg.tempo_variation
        for j in range(n):
            fat = cfg.fatigue * (j / (n - 1) if n > 1 else 0.0) ** 1.5
            slow = 1.0 + 0.4 * fat
            e = np.exp(r.normal(0.0, tv, 4))
            out = float(np.clip(cfg.tempo_out_s * e[0] * slow, 0.4, 4.5))
            ret = float(np.clip(cfg.tempo_return_s * e[1] * slow, 0.4, 4.5))
            hold = float(np.clip(cfg.tempo_hold_s * e[2] * (1.0 - 0.3 * fat), 0.0, 3.0))
            pause = float(np.clip(cfg.tempo_pause_s * e[3] * (1.0 + 0.5 * fat), 0.0, 3.0))
            arc = set_range * (1.0 - 0.25 * fat) * float(np.exp(r.normal(0.0, cfg.rom_variation)))
            arc = min(arc, 115.0)  # hands well behind the shoulders: about the limit of the joint
            rowing_draw, partial_draw = r.uniform(), r.uniform()
            partial_frac, shorten = r.uniform(0.25, 0.55), r.uniform(0.5, 0.9, 2)
            row = {
                "arc": r.uniform(0.6, 1.0),
                "elbow": r.uniform(0.85, 1.2),
                "rho_h": r.uniform(-30.0, 0.0),
                "drop": r.uniform(0.0, 15.0),
            }
            rowing = rowing_draw < cfg.rowing_prob
            partial = not rowing and partial_draw < cfg.partial_prob
            if partial:
                arc = set_range * partial_frac
                out, ret = max(0.25, out * shorten[0]), max(0.25, ret * shorten[1])
            if rowing:
                arc *= row["arc"]
            detail = {
                "out_profile": self._profile(),
                "return_profile": self._profile(),
                "dtheta": w * r.uniform(-6.0, 4.0),  # arms drift down or up as they open
                "eps_h": w * r.normal(0.0, 1.5),  # hands do not come back to exactly the same spot
                "eps_theta": w * r.normal(0.0, 1.0),
                "phi_row": float(np.clip(arc * row["elbow"], 50.0, 120.0)),
                "rho_h_row": row["rho_h"],
                "theta_drop": row["drop"],
            }
            last = j == n - 1
            rep = RepPlan(j, t, out, hold, ret, None if last else pause, partial, rowing, arc)
            sp.reps.append(rep)
            sp.details.append(detail)
            t = rep.end + (0.0 if last else pause)
        return sp

    def write_set(self, sp: SetPlan) -> None:
        ch = self.ch
        kind, warp = self._profile()
        t0, d = sp.count_in_start, sp.count_in_s
        theta_set = sp.theta_deg * DEG
        ch["theta"].track.move(t0, d, theta_set, kind, warp)
        ch["h"].track.move(t0, d, sp.h0_deg * DEG, kind, warp)
        ch["rho"].track.move(t0, d, self.rho_grip, kind, warp)
        ch["rho_h"].track.move(t0, d, self.rho_h_set, kind, warp)
        ch["phi"].track.move(t0, d, self.phi_set, kind, warp)
        self.events.append({"kind": "count_in", "start_s": t0, "end_s": t0 + d})
        for rep, det in zip(sp.reps, sp.details, strict=True):
            ko, wo = det["out_profile"]
            kr, wr = det["return_profile"]
            h_start = ch["h"].track.value
            ch["h"].track.move(rep.start, rep.out_s, h_start + rep.arc_deg * DEG, ko, wo)
            ch["pitch"].track.move(rep.start, rep.out_s, -self.lean_deg * DEG, ko, wo)
            ch["h"].track.move(rep.leave, rep.return_s, (sp.h0_deg + det["eps_h"]) * DEG, kr, wr)
            ch["pitch"].track.move(rep.leave, rep.return_s, 0.0, kr, wr)
            theta_back = (sp.theta_deg + det["eps_theta"]) * DEG
            if rep.rowing:
                # elbows flare and bend so the hands travel straight back: the forearm barely turns
                ch["theta"].track.move(rep.start, rep.out_s, theta_set - det["theta_drop"] * DEG, ko, wo)
                ch["phi"].track.move(rep.start, rep.out_s, det["phi_row"] * DEG, ko, wo)
                ch["rho_h"].track.move(rep.start, rep.out_s, det["rho_h_row"] * DEG, ko, wo)
                ch["phi"].track.move(rep.leave, rep.return_s, self.phi_set, kr, wr)
                ch["rho_h"].track.move(rep.leave, rep.return_s, self.rho_h_set, kr, wr)
            else:
                ch["theta"].track.move(rep.start, rep.out_s, theta_set + det["dtheta"] * DEG, ko, wo)
            ch["theta"].track.move(rep.leave, rep.return_s, theta_back, kr, wr)
        kind, warp = self._profile()
        t0, d = sp.lower_start, sp.lower_s
        ch["theta"].track.move(t0, d, self.theta_hang, kind, warp)
        ch["h"].track.move(t0, d, 0.0, kind, warp)
        ch["rho"].track.move(t0, d, self.rho_rest, kind, warp)
        ch["rho_h"].track.move(t0, d, self.rho_h_rest, kind, warp)
        ch["phi"].track.move(t0, d, self.phi_rest, kind, warp)
        self.events.append({"kind": "lower", "start_s": t0, "end_s": t0 + d})
        self.sets.append(sp)

    # -- between sets ----------------------------------------------------------------------------------
    def _walk_duration(self) -> tuple[float, dict]:
        r = self.rng
        p = {
            "f_step": r.uniform(1.7, 2.2),
            "n1": int(r.integers(2, 7)),
            "dn": int(r.choice([-1, 0, 0, 1])),
            "step_m": r.uniform(0.45, 0.7),
            "turn1_s": r.uniform(0.9, 1.5),
            "turn2_s": r.uniform(0.9, 1.5),
            "second_turn": bool(r.uniform() < 0.4),
            "turn_sign": float(r.choice([-1.0, 1.0])),
            "bob_m": r.uniform(0.015, 0.03),
            "swing_deg": r.uniform(8.0, 20.0),
            "elbow_swing_deg": r.uniform(3.0, 8.0),
            "elbow_deg": r.uniform(5.0, 15.0),
            "roll_deg": r.uniform(0.8, 2.0),
            "yaw_deg": r.uniform(1.5, 4.0),
            "phases": r.uniform(0.0, 2.0 * np.pi, 3),
        }
        p["n2"] = max(1, p["n1"] + p["dn"])
        d = (p["n1"] + p["n2"]) / p["f_step"] + p["turn1_s"] + (p["turn2_s"] if p["second_turn"] else 0.0)
        return d, p

    def _walk(self, t0: float, p: dict) -> float:
        ch, w = self.ch, self.w
        # shorter first and last steps: the mean speed over a few steps is well below the cruising speed
        travel = 0.6 * p["step_m"]
        psi = ch["psi"].track.value
        t = t0
        turns = []
        for leg, n in enumerate((p["n1"], p["n2"])):
            d = n / p["f_step"]
            x, y = ch["bx"].track.value, ch["by"].track.value
            ch["bx"].track.move(t, d, x + n * travel * np.cos(psi))
            ch["by"].track.move(t, d, y + n * travel * np.sin(psi))
            t += d
            if leg == 0 or p["second_turn"]:
                dur = p["turn1_s"] if leg == 0 else p["turn2_s"]
                psi += p["turn_sign"] * np.pi
                ch["psi"].track.move(t, dur, psi)
                turns.append({"start_s": t, "end_s": t + dur, "deg": 180.0 * p["turn_sign"]})
                t += dur
        end = t
        f, fs = p["f_step"], p["f_step"] / 2.0
        ph = p["phases"]
        ch["bz"].osc.add_window(t0, end, 0.4, p["bob_m"], f, ph[0])
        ch["theta"].osc.add_window(t0, end, 0.6, p["swing_deg"] * DEG, fs, ph[1])
        ch["phi"].osc.add_window(t0, end, 0.6, p["elbow_swing_deg"] * DEG, fs, ph[1])
        ch["roll"].osc.add_window(t0, end, 0.6, w * p["roll_deg"] * DEG, fs, ph[2])
        ch["psi"].osc.add_window(t0, end, 0.6, p["yaw_deg"] * DEG, fs, ph[1] + np.pi)
        phi = ch["phi"].track.value
        ch["phi"].track.move(t0, 0.6, phi + p["elbow_deg"] * DEG)
        ch["phi"].track.move(end - 0.6, 0.6, phi)
        self.events.append({"kind": "walk", "start_s": t0, "end_s": end, "turns": turns})
        return end

    def _fidget(self, t0: float, d: float) -> None:
        ch, r = self.ch, self.rng
        phi = ch["phi"].track.value
        ch["phi"].track.move(t0, 0.6, phi + r.uniform(10.0, 25.0) * DEG)
        ch["phi"].track.move(t0 + d - 0.6, 0.6, phi)
        for name, amp, freq in (
            ("theta", (2, 8), (0.3, 1.0)),
            ("rho", (8, 25), (0.4, 1.5)),
            ("phi", (4, 10), (0.3, 1)),
        ):
            ch[name].osc.add_window(
                t0, t0 + d, 0.5, r.uniform(*amp) * DEG, r.uniform(*freq), r.uniform(0, 6.3)
            )
        self.events.append({"kind": "fidget", "start_s": t0, "end_s": t0 + d})

    def _shake(self, t0: float, d: float) -> None:
        ch, r = self.ch, self.rng
        f = r.uniform(3.0, 5.0)
        phi, theta = ch["phi"].track.value, ch["theta"].track.value
        ch["phi"].track.move(t0, 0.4, phi + 15.0 * DEG)
        ch["phi"].track.move(t0 + d - 0.4, 0.4, phi)
        ch["theta"].track.move(t0, 0.4, theta + r.uniform(5.0, 20.0) * DEG)
        ch["theta"].track.move(t0 + d - 0.4, 0.4, theta)
        ph = r.uniform(0.0, 2.0 * np.pi, 3)
        # mostly forearm twisting; a few centimetres of hand travel already means 1-3 g
        ch["rho"].osc.add_window(t0, t0 + d, 0.3, r.uniform(10.0, 30.0) * DEG, f, ph[0])
        ch["phi"].osc.add_window(t0, t0 + d, 0.3, r.uniform(2.0, 6.0) * DEG, f, ph[1])
        ch["theta"].osc.add_window(t0, t0 + d, 0.3, r.uniform(0.5, 2.0) * DEG, f, ph[2])
        self.events.append({"kind": "shake", "start_s": t0, "end_s": t0 + d})

    def _adjust(self, t0: float, d: float) -> None:
        """Bring the hands together in front of the waist and fiddle with the band."""
        ch, r = self.ch, self.rng
        rest = {name: ch[name].track.value for name in ("theta", "phi", "h", "rho")}
        target = {
            "theta": r.uniform(30.0, 55.0) * DEG,
            "phi": r.uniform(50.0, 90.0) * DEG,
            "h": -r.uniform(5.0, 15.0) * DEG,
            "rho": r.uniform(-20.0, 60.0) * DEG,
        }
        move = r.uniform(1.0, 1.5)
        for name in target:
            ch[name].track.move(t0, move, target[name])
            ch[name].track.move(t0 + d - move, move, rest[name])
        ch["rho"].osc.add_window(
            t0 + move, t0 + d - move, 0.4, r.uniform(5.0, 20.0) * DEG, r.uniform(0.3, 1.0), 0.0
        )
        self.events.append({"kind": "adjust", "start_s": t0, "end_s": t0 + d})

    def fill(self, a: float, b: float, allowed: tuple[str, ...], prob: float = 0.6) -> None:
        """Arms down from a to b: standing still with some of the allowed activities, in random order."""
        r = self.rng
        acts = [x for x in self.cfg.between_sets if x != "still" and x in allowed]
        order = r.permutation(len(acts)) if acts else []
        draws = r.uniform(size=len(acts))
        chosen: list[tuple[str, float, dict]] = []
        for i, k in enumerate(order):
            name = acts[int(k)]
            walk_d, walk_p = self._walk_duration()
            dur = {
                "fidget": r.uniform(2.0, 5.0),
                "shake": r.uniform(1.0, 3.5),
                "adjust": r.uniform(3.5, 7.0),
                "walk": walk_d,
            }[name]
            if draws[i] < prob:
                chosen.append((name, dur, walk_p))
        margin, sep = 0.5, 0.3
        while chosen and sum(c[1] for c in chosen) + 2 * margin + sep * (len(chosen) - 1) > b - a:
            chosen.pop()
        if not chosen:
            return
        slack = (b - a) - 2 * margin - sep * (len(chosen) - 1) - sum(c[1] for c in chosen)
        gaps = r.dirichlet(np.ones(len(chosen) + 1)) * slack
        t = a + margin + gaps[0]
        for i, (name, dur, walk_p) in enumerate(chosen):
            if name == "walk":
                self._walk(t, walk_p)
            else:
                getattr(self, "_" + name)(t, dur)
            t += dur + sep + gaps[i + 1]


def build_plan(cfg: SessionConfig) -> Plan:
    b = _Builder(cfg)
    r = b.rng
    k = 0
    prev_end = 0.0
    while True:
        rest = cfg.rest_s * float(np.exp(r.normal(0.0, cfg.rest_variation))) if k > 0 else cfg.lead_in_s
        rest = max(rest, 2.0) if k > 0 else max(rest, 0.0)
        start = prev_end + rest
        sp = b.draw_set(k, start)
        accept = k < cfg.sets or (cfg.duration_s is not None and sp.lower_end + cfg.tail_s <= cfg.duration_s)
        if not accept:
            break
        if k == 0:
            b.fill(0.0, start, ("fidget",), prob=0.4)
        else:
            b.fill(prev_end, start, tuple(cfg.between_sets))
        b.write_set(sp)
        prev_end = sp.lower_end
        k += 1
    end = prev_end + cfg.tail_s
    if cfg.duration_s is not None:
        end = max(end, cfg.duration_s)
    b.fill(prev_end, end, tuple(cfg.between_sets), prob=0.6 if end - prev_end > 10.0 else 0.0)
    b.events.sort(key=lambda e: e["start_s"])
    return Plan(
        config=cfg,
        body=b.body,
        channels=b.ch,
        sets=b.sets,
        events=b.events,
        duration_s=end,
        heading_deg=float(b.heading / DEG),
        strap_angle_deg=float(b.strap_angle_deg),
        mount_rotvec=[float(v) for v in b.mount_rotvec],
    )
