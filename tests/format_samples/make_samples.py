"""Regenerate the small format samples: python tests/format_samples/make_samples.py

Each file is formatted here by hand after the real app's export (not with sensor/writers.py), so the
reader tests do not merely check the writers against themselves. The CaRa file is a real recording
(see README.md) and is not written by this script.
"""

import math
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent
G = 9.80665
T0_MS = 1740823200000  # 2025-03-01T10:00:00Z


def motion(t):
    """Face-up device tilting about y: Android-sign acc (m/s^2), gyro (rad/s)."""
    ang = 0.4 * np.sin(2 * np.pi * 0.5 * t)
    acc = np.column_stack([G * np.sin(ang), 0.2 * np.sin(2 * np.pi * t), G * np.cos(ang)])
    gyro = np.column_stack(
        [0.05 * np.ones_like(t), 0.4 * 2 * np.pi * 0.5 * np.cos(2 * np.pi * 0.5 * t), -0.02 * np.ones_like(t)]
    )
    return acc, gyro


def w(path, text, mode="w", newline=""):
    p = OUT / path
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        with open(p, "w", newline=newline, encoding="utf-8") as f:
            f.write(text)


# ---- repcount-csv: a marked gap, and a truncated copy
t = np.r_[np.arange(0, 1.0, 0.01), np.arange(1.5, 2.0, 0.01)]
acc, gyro = motion(t)
lines = [
    "# repcount-csv 1",
    "# start_utc=2026-11-23T20:00:00.000000Z",
    "# device=XIAO-wrist-3F2A",
    "# nominal_rate_hz=100",
    "t_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap",
]
for i, ti in enumerate(t):
    gap = "1" if i > 0 and ti - t[i - 1] > 0.1 else ""
    lines.append(
        f"{ti:.6f},{acc[i, 0]:.4f},{acc[i, 1]:.4f},{acc[i, 2]:.4f},"
        f"{gyro[i, 0]:.5f},{gyro[i, 1]:.5f},{gyro[i, 2]:.5f},{gap}"
    )
text = "\n".join(lines) + "\n"
w("repcount/session.csv", text)
w("repcount/crashed.csv", text[: len(text) - 30])  # cut in the middle of the last line


# ---- Sensor Logger Android: own timestamps per sensor, ns epoch
def sl_table(tt, xyz):
    rows = ["time,seconds_elapsed,z,y,x"]
    for ti, v in zip(tt, xyz):
        ns = (T0_MS * 1_000_000) + int(round(ti * 1e9))
        rows.append(
            f"{ns},{ti},{np.float32(v[2]).item()},{np.float32(v[1]).item()},{np.float32(v[0]).item()}"
        )
    return "\n".join(rows) + "\n"


META_HDR = (
    "version,device name,recording epoch time,recording time,recording timezone,platform,appVersion,"
    "device id,sensors,sampleRateMs,standardisation,platform version"
)
ta = np.round(np.arange(0, 2.0, 0.02) + 0.0013, 6)
tg = np.round(np.arange(0, 2.0, 0.02) + 0.0071, 6)
acc_a, _ = motion(ta)
_, gyro_g = motion(tg)
w("sensor_logger_android/TotalAcceleration.csv", sl_table(ta, acc_a))
w("sensor_logger_android/Gyroscope.csv", sl_table(tg, gyro_g))
w(
    "sensor_logger_android/Metadata.csv",
    META_HDR
    + f"\n3,Pixel 7,{T0_MS},2025-03-01_10-00-00,UTC,android,1.40.0,abc,"
    + "TotalAcceleration|Gyroscope,20|20,false,14\n",
)

# ---- Sensor Logger iOS (Apple sign, m/s^2): user acc + gravity, gravity z ~ -9.8 face up
tt = np.round(np.arange(0, 2.0, 0.02), 6)
acc_t, gyro_t = motion(tt)
grav = np.column_stack(
    [G * np.sin(0.4 * np.sin(np.pi * tt)), np.zeros_like(tt), G * np.cos(0.4 * np.sin(np.pi * tt))]
)
user = acc_t - grav
w("sensor_logger_ios/Accelerometer.csv", sl_table(tt, -user))
w("sensor_logger_ios/Gravity.csv", sl_table(tt, -grav))
w("sensor_logger_ios/Gyroscope.csv", sl_table(tt, gyro_t))
w(
    "sensor_logger_ios/Metadata.csv",
    META_HDR
    + f"\n3,iPhone 13,{T0_MS},2025-03-01_10-00-00,UTC,ios,1.40.0,abc,"
    + "Accelerometer|Gravity|Gyroscope,20|20|20,false,17.4\n",
)
# the same export without Metadata.csv, with a name prefix (as when several recordings share a folder)
for name in ("Accelerometer", "Gravity", "Gyroscope"):
    w(f"sensor_logger_ios_prefixed/Squat_{name}.csv", (OUT / f"sensor_logger_ios/{name}.csv").read_text())

# ---- Sensor Logger watch: WristMotion in g, Apple sign
hdr = (
    "time,seconds_elapsed,rotationRateX,rotationRateY,rotationRateZ,gravityX,gravityY,gravityZ,"
    "accelerationX,accelerationY,accelerationZ,quaternionW,quaternionX,quaternionY,quaternionZ"
)
rows = [hdr]
for i, ti in enumerate(tt):
    ns = T0_MS * 1_000_000 + int(round(ti * 1e9))
    g = -grav[i] / G
    u = -user[i] / G
    rows.append(
        f"{ns},{ti},{gyro_t[i, 0]},{gyro_t[i, 1]},{gyro_t[i, 2]},{g[0]:.6f},{g[1]:.6f},{g[2]:.6f},"
        f"{u[0]:.6f},{u[1]:.6f},{u[2]:.6f},1,0,0,0"
    )
w("sensor_logger_watch/WristMotion.csv", "\n".join(rows) + "\n")
w(
    "sensor_logger_watch/Metadata.csv",
    META_HDR + f"\n3,iPhone 13,{T0_MS},2025-03-01_10-00-00,UTC,ios,1.40.0,abc,Wrist Motion,20,false,17.4\n",
)


# ---- phyphox: comma CSV with own time columns, acc 50 Hz + gyro 100 Hz, meta/time.csv
def jsci(v):
    s = f"{v:.9E}"
    m, e = s.split("E")
    return f"{m}E{int(e)}"


def phy_table(header, tt, xyz, sep=",", dec="."):
    rows = [sep.join(f'"{h}"' for h in header)]
    for ti, v in zip(tt, xyz):
        cells = [jsci(ti)] + [jsci(x) for x in v]
        if dec == ",":
            cells = [c.replace(".", ",") for c in cells]
        rows.append(sep.join(cells))
    return "\n".join(rows) + "\n"


ACC_H = ["Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)", "Acceleration z (m/s^2)"]
GYR_H = ["Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)"]
LIN_H = [
    "Time (s)",
    "Linear Acceleration x (m/s^2)",
    "Linear Acceleration y (m/s^2)",
    "Linear Acceleration z (m/s^2)",
]
ta = np.arange(0.006999333331, 2.0, 0.02)
tg = np.arange(0.0031, 2.0, 0.01)
acc_a, _ = motion(ta)
_, gyro_g = motion(tg)
TIME_CSV = (
    '"event","experiment time","system time","system time text"\n'
    '"START",0.000000000E0,1740823200.000,"2025-03-01 11:00:00.000 UTC+01:00"\n'
)
w("phyphox_csv/Accelerometer.csv", phy_table(ACC_H, ta, acc_a))
w("phyphox_csv/Gyroscope.csv", phy_table(GYR_H, tg, gyro_g))
w("phyphox_csv/meta/time.csv", TIME_CSV)
w("phyphox_csv/meta/device.csv", '"property","value"\n"deviceModel","Pixel 7"\n')
# semicolon + decimal comma
w("phyphox_semicolon/Accelerometer.csv", phy_table(ACC_H, ta, acc_a, ";", ","))
w("phyphox_semicolon/Gyroscope.csv", phy_table(GYR_H, tg, gyro_g, ";", ","))
w(
    "phyphox_semicolon/meta/time.csv",
    TIME_CSV.replace(",", ";")
    .replace("1740823200.000", "1740823200,000")
    .replace("0.000000000E0", "0,000000000E0"),
)
# linear acceleration only
lin = acc_a - np.array([0, 0, G])
w("phyphox_linear/Linear Acceleration.csv", phy_table(LIN_H, ta, lin))
w("phyphox_linear/Gyroscope.csv", phy_table(GYR_H, tg, gyro_g))
# single file, tab separated: both sensors side by side, shorter group padded with NaN
rows = ["\t".join(f'"{h}"' for h in ACC_H + GYR_H)]
for i in range(max(len(ta), len(tg))):
    left = [jsci(ta[i])] + [jsci(x) for x in acc_a[i]] if i < len(ta) else ["NaN"] * 4
    right = [jsci(tg[i])] + [jsci(x) for x in gyro_g[i]] if i < len(tg) else ["NaN"] * 4
    rows.append("\t".join(left + right))
w("phyphox_single_tab.csv", "\n".join(rows) + "\n")


# ---- metabase: acc 12.5 Hz, gyro 25 Hz, gyro starts 0.4 s later, 2 s gap in both
def mb(tt, xyz, unit):
    rows = [f"epoch (ms),time (-13:00),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"]
    first = None
    for ti, v in zip(tt, xyz):
        ms = T0_MS + int(round(ti * 1000))
        first = ms if first is None else first
        stamp = np.datetime_as_string(np.datetime64(ms - 13 * 3600 * 1000, "ms"), unit="ms").replace(":", ".")
        rows.append(f"{ms},{stamp},{(ms - first) / 1000:.3f},{v[0]:.3f},{v[1]:.3f},{v[2]:.3f}")
    return "\n".join(rows) + "\n"


ta = np.arange(0, 8.0, 0.08)
ta = ta[(ta < 3.0) | (ta > 5.0)]
tg = np.arange(0.4, 8.0, 0.04)
tg = tg[(tg < 3.0) | (tg > 5.0)]
acc_a, _ = motion(ta)
_, gyro_g = motion(tg)
w(
    "metabase/MetaWear_2025-03-01T10.00.00.000_D1A2B3C4E5F6_Accelerometer_12.500Hz_1.7.3.csv",
    mb(ta, acc_a / G, "g"),
)
w(
    "metabase/MetaWear_2025-03-01T10.00.00.000_D1A2B3C4E5F6_Gyroscope_25.000Hz_1.7.3.csv",
    mb(tg, np.degrees(gyro_g), "deg/s"),
)

# ---- generic CSVs: several header styles
t = np.arange(0, 2.0, 0.01)
acc_t, gyro_t = motion(t)


def gen(header, tcol, accf, gyrf, sep=",", nl="\n"):
    rows = [header]
    for i in range(len(t)):
        rows.append(
            sep.join(
                [tcol(i)]
                + [f"{accf(acc_t[i, k]):.5f}" for k in range(3)]
                + [f"{gyrf(gyro_t[i, k]):.5f}" for k in range(3)]
            )
        )
    return nl.join(rows) + nl


w(
    "generic/brackets_deg.csv",
    gen(
        "timestamp,ax (m/s^2),ay (m/s^2),az (m/s^2),gyro_x [deg/s],gyro_y [deg/s],gyro_z [deg/s]",
        lambda i: f"{t[i]:.3f}",
        lambda v: v,
        math.degrees,
    ),
)
w(
    "generic/suffix_g.csv",
    gen(
        "epoch_ms,acc_x_g,acc_y_g,acc_z_g,gyroX(rad/s),gyroY(rad/s),gyroZ(rad/s)",
        lambda i: str(T0_MS + int(round(t[i] * 1000))),
        lambda v: v / G,
        lambda v: v,
    ),
)
w(
    "generic/mps2_us.csv",
    gen(
        "t,accel_x_mps2,accel_y_mps2,accel_z_mps2,gx_rads,gy_rads,gz_rads",
        lambda i: str(int(round(t[i] * 1e6))),
        lambda v: v,
        lambda v: v,
    ),
)
w("generic/no_units.csv", gen("time,ax,ay,az,gx,gy,gz", lambda i: f"{t[i]:.3f}", lambda v: v, lambda v: v))
# messy: BOM, CRLF, blank lines, NaN rows, several samples per millisecond stamp, jitter
rows = ["time_ms,ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s)"]
for i in range(len(t)):
    stamp = int(round(t[i] * 1000)) // 30 * 30  # three samples share each 30 ms stamp
    if i == 62:
        stamp -= 4  # a little backwards jitter (the sample before is stamped 600)
    rows.append(
        ",".join(
            [str(stamp)]
            + [f"{acc_t[i, k]:.4f}" for k in range(3)]
            + [f"{gyro_t[i, k]:.4f}" for k in range(3)]
        )
    )
    if i in (20, 90):
        rows.append("")
rows[40] = "390,NaN,0.1,9.8,0.0,0.0,0.0"
rows[120] = "1200,,,,,,"
w("generic/messy_bom_crlf.csv", ("\ufeff" + "\r\n".join(rows) + "\r\n"))
