"""Physically grounded simulator of band pull-apart sessions seen by a wrist or upper-arm IMU.

`simulate_session(config)` returns a `sensor.recording.Recording` and a JSON-ready ground-truth dict
(sets, reps with phase times, tempo, range of motion, events between sets). `random_config` draws a
realistic, diverse session and `suite_configs` the seeded accuracy benchmark.

Model, in short. World frame x forward, y left, z up. A torso (yaw, lean, roll, hip displacement)
carries a shoulder 0.18 m to the side; the upper arm turns by horizontal abduction (about the
vertical: the pull-apart sweep), shoulder flexion (raising the arm) and humeral rotation; the forearm
by elbow flexion and pronation (the grip). Every joint angle is a sum of smooth transitions
(minimum-jerk, septic or sin^2-velocity profiles, optionally skewed, all with zero velocity and
acceleration at both ends), windowed oscillations (walking, shaking, fidgeting) and steady wobble,
sway and tremor. The sensor sits on the distal forearm or the upper arm at a lever arm from the
bone, in any orientation on its strap. Its orientation and position are evaluated at each sample
instant and 0.2 ms either side: the gyro reads the rotation vector of R(t-d)^T R(t+d) over 2d and the
accelerometer R^T (a - g) with a from the central second difference. The sensor then adds
misalignment, scale error, constant bias, slow Gauss-Markov bias drift, white noise and int16
quantisation at the chosen full range; samples are taken at the (slightly wrong) actual rate, get
jittered host timestamps, optionally whole-millisecond or shared ones, and some are lost singly or in
short gaps. Separate random streams drive the person, the mount, the timing and each sensor, so
changing the noise leaves the exercise unchanged.
"""

from .config import (
    ACTIVITIES,
    DEVICES,
    GRIPS,
    PLACEMENTS,
    RATES_HZ,
    SIDES,
    SessionConfig,
    random_config,
    suite_configs,
)
from .session import simulate_session

__all__ = [
    "ACTIVITIES",
    "DEVICES",
    "GRIPS",
    "PLACEMENTS",
    "RATES_HZ",
    "SIDES",
    "SessionConfig",
    "random_config",
    "simulate_session",
    "suite_configs",
]
