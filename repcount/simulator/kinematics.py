"""Rigid-body kinematics of torso, upper arm and forearm, and what an ideal IMU on them measures.

World frame: x forward (at heading 0), y left, z up; gravity (0, 0, -g). Rotation stacks are stored
as (3, 3, n) arrays (row, column, sample) so each elementary rotation is a few vector operations on
contiguous columns instead of n small matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensor.recording import STANDARD_GRAVITY

HIP_HEIGHT_M = 1.0
SHOULDER_ABOVE_HIP_M = 0.45


def rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotvec_to_matrix(v: np.ndarray) -> np.ndarray:
    """Rodrigues' formula for one rotation vector (radians)."""
    v = np.asarray(v, dtype=float)
    angle = float(np.linalg.norm(v))
    if angle < 1e-12:
        return np.eye(3)
    k = v / angle
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * kx + (1.0 - np.cos(angle)) * (kx @ kx)


def _stack_z(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.array([[c, -s, z], [s, c, z], [z, z, o]])


def _mul_x(m: np.ndarray, a: np.ndarray) -> None:
    """m <- m @ Rx(a), in place, for a (3, 3, n) stack."""
    c, s = np.cos(a), np.sin(a)
    c1, c2 = m[:, 1].copy(), m[:, 2]
    m[:, 1] = c * c1 + s * c2
    m[:, 2] = c * c2 - s * c1


def _mul_y(m: np.ndarray, a: np.ndarray) -> None:
    c, s = np.cos(a), np.sin(a)
    c0, c2 = m[:, 0].copy(), m[:, 2]
    m[:, 0] = c * c0 - s * c2
    m[:, 2] = s * c0 + c * c2


def _mul_z(m: np.ndarray, a: np.ndarray) -> None:
    c, s = np.cos(a), np.sin(a)
    c0, c1 = m[:, 0].copy(), m[:, 1]
    m[:, 0] = c * c0 + s * c1
    m[:, 1] = c * c1 - s * c0


def _mul_const(m: np.ndarray, k: np.ndarray) -> np.ndarray:
    """m @ k for a constant 3x3 k."""
    return np.einsum("ijn,jk->ikn", m, k)


def _apply(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """m @ v for a constant 3-vector v, giving (3, n)."""
    return m[:, 0] * v[0] + m[:, 1] * v[1] + m[:, 2] * v[2]


@dataclass
class Body:
    """Fixed geometry of one person and one sensor mounting."""

    sigma: float  # +1 left arm, -1 right arm: mirrors every lateral direction
    placement: str
    upper_arm_m: float
    forearm_m: float
    shoulder_offset_m: float
    sensor_along_m: float  # distance of the sensor from the proximal joint along the segment
    sensor_radius_m: float  # distance of the sensor from the segment's axis
    strap_angle: float  # radians around the segment axis, from the natural spot
    mount: np.ndarray  # 3x3 sensor -> strap frame

    def strap_rotation(self) -> np.ndarray:
        """Strap frame (x along the limb, z out of the skin) in the segment frame."""
        # natural spot: back of the wrist / outer side of the upper arm, both lateral with the arm forward
        return rot_x(-self.sigma * np.pi / 2.0 + self.strap_angle)

    def sensor_in_segment(self) -> tuple[np.ndarray, np.ndarray]:
        strap = self.strap_rotation()
        offset = np.array([self.sensor_along_m, 0.0, 0.0]) + strap @ np.array(
            [0.0, 0.0, self.sensor_radius_m]
        )
        return strap @ self.mount, offset


CHANNELS = ("psi", "pitch", "roll", "bx", "by", "bz", "theta", "h", "rho_h", "phi", "rho")


def pose(body: Body, q: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sensor orientation R_ws (3, 3, n), sensor -> world, and position (3, n) from joint channels.

    psi/pitch/roll: torso yaw, forward lean, roll; bx/by/bz: hip displacement; theta: shoulder flexion
    (0 hanging, pi/2 forward horizontal); h: horizontal abduction (the pull-apart sweep, outward
    positive on either side); rho_h: humeral axial rotation (0 = elbow pointing out with the arm
    forward); phi: elbow flexion; rho: total forearm axial angle (0 = thumb up with the arm forward,
    +pi/2 palms down).
    """
    sg = body.sigma
    m = _stack_z(q["psi"])
    _mul_y(m, q["pitch"])
    _mul_x(m, q["roll"])
    pos = np.array([q["bx"], q["by"], HIP_HEIGHT_M + q["bz"]])
    pos = pos + _apply(m, np.array([0.0, sg * body.shoulder_offset_m, SHOULDER_ABOVE_HIP_M]))
    _mul_z(m, sg * q["h"])
    _mul_y(m, np.pi / 2.0 - q["theta"])
    _mul_x(m, sg * q["rho_h"])
    if body.placement == "wrist":
        pos = pos + m[:, 0] * body.upper_arm_m
        _mul_z(m, -sg * q["phi"])
        _mul_x(m, sg * (q["rho"] - q["rho_h"]))
    rot, offset = body.sensor_in_segment()
    pos = pos + _apply(m, offset)
    return _mul_const(m, rot), pos


def relative_rotvec(r0: np.ndarray, r1: np.ndarray, frame: str = "body") -> np.ndarray:
    """Rotation vector (3, n) taking r0 to r1: of r0^T r1 (in r0's body frame) or r1 r0^T (world)."""
    if frame == "body":
        q = np.einsum("kin,kjn->ijn", r0, r1)
    else:
        q = np.einsum("ikn,jkn->ijn", r1, r0)
    v = 0.5 * np.array([q[2, 1] - q[1, 2], q[0, 2] - q[2, 0], q[1, 0] - q[0, 1]])
    s = np.sqrt(np.sum(v * v, axis=0))
    c = 0.5 * (q[0, 0] + q[1, 1] + q[2, 2] - 1.0)
    angle = np.arctan2(s, c)
    factor = np.where(s > 1e-12, angle / np.maximum(s, 1e-300), 1.0)
    return v * factor


def imu_ideal(rot: np.ndarray, pos: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ideal gyro and accelerometer readings from poses at t - delta, t, t + delta, interleaved.

    rot (3, 3, 3n) and pos (3, 3n) hold [t0 - d, t0, t0 + d, t1 - d, ...]. Returns body angular rate
    (n, 3) from the relative rotation R(t-d)^T R(t+d), specific force f_b = R^T (a - g) (n, 3) with a
    from the central second difference, and the orientation at t (3, 3, n). Both estimates are
    second-order accurate in delta.
    """
    r_m, r_c, r_p = rot[..., 0::3], rot[..., 1::3], rot[..., 2::3]
    omega = relative_rotvec(r_m, r_p, "body") / (2.0 * delta)
    p_m, p_c, p_p = pos[:, 0::3], pos[:, 1::3], pos[:, 2::3]
    acc_w = (p_p - 2.0 * p_c + p_m) / (delta * delta)
    acc_w[2] += STANDARD_GRAVITY
    f_b = np.einsum("kin,kn->in", r_c, acc_w)
    return omega.T.copy(), f_b.T.copy(), r_c
