"""Regenerate the bad-input corpus and EXPECTED.txt: python tests/bad_inputs/make_bad_inputs.py"""

import io
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent


def w(name, text):
    p = OUT / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")


RC_HEAD = "# repcount-csv 1\n# nominal_rate_hz=100\nt_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gz_rads,gap\n"


def rc_rows(n, start=0):
    return "".join(
        f"{(start + i) / 100:.6f},0.1000,0.2000,9.8000,0.01000,0.02000,0.03000,\n" for i in range(n)
    )


expected = []


def case(name, fragment, line="-", column="-"):
    expected.append(f"{name}\t{fragment}\t{line}\t{column}")


w(
    "missing_column.csv",
    "# repcount-csv 1\nt_s,ax_mps2,ay_mps2,az_mps2,gx_rads,gy_rads,gap\n" + "0.0,0.1,0.2,9.8,0.0,0.0,\n" * 3,
)
case("missing_column.csv", "missing column 'gz_rads'", 2)

rows = rc_rows(10).splitlines(True)
rows[4] = "0.040000,0.1000,abc,9.8000,0.01000,0.02000,0.03000,\n"
w("non_numeric_cell.csv", RC_HEAD + "".join(rows))
case("non_numeric_cell.csv", "expected a number, found 'abc'", 8, "ay_mps2")

w("repcount_version_2.csv", "# repcount-csv 2\n" + RC_HEAD.split("\n", 1)[1] + rc_rows(5))
case("repcount_version_2.csv", "version 2 is not supported", 1)

g_hdr = "time (s),ax (m/s^2),ay (m/s^2),az (m/s^2),gx (rad/s),gy (rad/s),gz (rad/s)\n"
t_rows = [f"{i / 100:.2f},0.1,0.2,9.8,0.01,0.02,0.03\n" for i in range(20)]
t_rows[7] = "0.02,0.1,0.2,9.8,0.01,0.02,0.03\n"
w("time_backwards.csv", g_hdr + "".join(t_rows))
case("time_backwards.csv", "time goes back by 0.040 s", 9)

w("g_labelled_mps2.csv", g_hdr + "".join(f"{i / 100:.2f},0.01,0.02,1.0,0.01,0.02,0.03\n" for i in range(20)))
case("g_labelled_mps2.csv", "values look like g but the header says m/s^2", "-", "ax (m/s^2)")

w(
    "mps2_labelled_g.csv",
    "t_ms,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps\n"
    + "".join(f"{i * 10},0.1,0.2,9.8,1.0,2.0,3.0\n" for i in range(20)),
)
case("mps2_labelled_g.csv", "values look like m/s^2 but the header says g", "-", "acc_x_g")

w(
    "deg_labelled_rad.csv",
    g_hdr + "".join(f"{i / 100:.2f},0.1,0.2,9.8,{90 + i},-{120 + i},45\n" for i in range(20)),
)
case("deg_labelled_rad.csv", "values look like deg/s", "-", "gx (rad/s)")

w(
    "unknown_unit.csv",
    "time (s),ax (furlong/fortnight^2),ay (furlong/fortnight^2),az (furlong/fortnight^2),"
    "gx (rad/s),gy (rad/s),gz (rad/s)\n" + "0.0,0.1,0.2,9.8,0.0,0.0,0.0\n0.01,0.1,0.2,9.8,0.0,0.0,0.0\n",
)
case("unknown_unit.csv", "unknown unit 'furlong/fortnight^2'", "-", "ax (furlong/fortnight^2)")

w(
    "no_units.csv",
    "time,ax,ay,az,gx,gy,gz\n" + "".join(f"{i / 100:.2f},0.1,0.2,9.8,0.01,0.02,0.03\n" for i in range(5)),
)
case("no_units.csv", "no unit in the header; say which with --units acc=m/s^2", "-", "ax")

w("empty.csv", "")
case("empty.csv", "the file is empty")

w("header_only.csv", RC_HEAD)
case("header_only.csv", "the file has a header but no data lines", 3)

w("all_nan.csv", g_hdr + "0.0,NaN,NaN,NaN,NaN,NaN,NaN\n0.01,,,,,,\n")
case("all_nan.csv", "every data line has missing, NaN or infinite values")

w("unknown_format.csv", "name,age,city\nAda,36,London\nAlan,41,Wilmslow\n")
case("unknown_format.csv", "not a recognised recording format; looked for")

w("binary.csv", bytes(range(256)) * 4)
case("binary.csv", "not a text file")

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr(
        "TotalAcceleration.csv",
        "time,seconds_elapsed,z,y,x\n"
        + "".join(f"{1740823200000000000 + i * 10000000},{i / 100},9.8,0.1,0.2\n" for i in range(400)),
    )
    zf.writestr(
        "Gyroscope.csv",
        "time,seconds_elapsed,z,y,x\n"
        + "".join(f"{1740823200000000000 + i * 10000000},{i / 100},0.01,0.02,0.03\n" for i in range(400)),
    )
data = buf.getvalue()
w("truncated.zip", data[: len(data) // 2])
case("truncated.zip", "zip archive is damaged or incomplete")

w("no_recognised_files/notes.txt", "Squats, 3 sets of 10.\n")
w("no_recognised_files/weights.csv", "exercise,kg\nsquat,60\n")
case("no_recognised_files", "no recognised recording files in this folder")

mb_acc = "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n" + "".join(
    f"{1740823200000 + i * 80},2025-03-01T11.00.00.000,{i * 0.08:.3f},0.010,0.020,1.000\n" for i in range(20)
)
w("metabase_no_partner/MetaWear_2025-03-01T11.00.00.000_D1A2B3C4E5F6_Accelerometer.csv", mb_acc)
case(
    "metabase_no_partner/MetaWear_2025-03-01T11.00.00.000_D1A2B3C4E5F6_Accelerometer.csv",
    "no matching MetaWear_2025-03-01T11.00.00.000_D1A2B3C4E5F6_Gyroscope*.csv next to it",
)

mb_gyr = "epoch (ms),time (01:00),elapsed (s),x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)\n" + "".join(
    f"{1740823900000 + i * 40},2025-03-01T11.11.40.000,{i * 0.04:.3f},1.000,2.000,3.000\n" for i in range(20)
)
w("metabase_no_overlap/MetaWear_X_Accelerometer.csv", mb_acc)
w("metabase_no_overlap/MetaWear_X_Gyroscope.csv", mb_gyr)
case("metabase_no_overlap", "do not overlap in time")

w(
    "phyphox_no_gyro/Accelerometer.csv",
    '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"\n'
    + "".join(f"{i / 100:.9E},1.000000000E-1,2.000000000E-1,9.800000000E0\n" for i in range(10)),
)
case(
    "phyphox_no_gyro",
    "needs accelerometer (or linear acceleration) and gyroscope tables; found accelerometer",
)

w(
    "sensor_logger_no_gyro/TotalAcceleration.csv",
    "time,seconds_elapsed,z,y,x\n"
    + "".join(f"{1740823200000000000 + i * 10000000},{i / 100},9.8,0.1,0.2\n" for i in range(10)),
)
case("sensor_logger_no_gyro", "needs Gyroscope.csv and TotalAcceleration.csv")

w("two_recordings/a.csv", RC_HEAD + rc_rows(5))
w("two_recordings/b.csv", RC_HEAD + rc_rows(5))
case("two_recordings", "holds 2 recordings (a.csv, b.csv); pass one file")

# phyphox single-file export with two tables one after the other: the line number is in the whole file
ACC_T = '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"\n'
GYR_T = '"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)"\n'
acc_rows = "".join(f"{i / 100:.9E},1.000000000E-1,2.000000000E-1,9.800000000E0\n" for i in range(10))
gyr_rows = [f"{i / 100:.9E},1.000000000E-2,2.000000000E-2,3.000000000E-2\n" for i in range(10)]
gyr_rows[3] = "3.000000000E-2,1.0O0000000E-2,2.000000000E-2,3.000000000E-2\n"
w("phyphox_two_tables_bad_cell.csv", ACC_T + acc_rows + GYR_T + "".join(gyr_rows))
case(
    "phyphox_two_tables_bad_cell.csv", "expected a number, found '1.0O0000000E-2'", 16, "Gyroscope x (rad/s)"
)

SL = "time,seconds_elapsed,z,y,x\n"
sl_rows = [f"{1740823200000000000 + i * 10000000},{i / 100},9.8,0.1,0.2\n" for i in range(20)]
for prefix in ("Squat_", "Lunge_"):
    w(f"sensor_logger_two_recordings/{prefix}TotalAcceleration.csv", SL + "".join(sl_rows))
    w(f"sensor_logger_two_recordings/{prefix}Gyroscope.csv", SL + "".join(sl_rows))
case("sensor_logger_two_recordings", "holds 2 Sensor Logger recordings (Lunge_, Squat_); pass one of them")

back = list(sl_rows)
back[12] = f"{1740823200000000000 + 2 * 10000000},0.02,9.8,0.1,0.2\n"
w("sensor_logger_time_backwards/TotalAcceleration.csv", SL + "".join(back))
w("sensor_logger_time_backwards/Gyroscope.csv", SL + "".join(sl_rows))
case("sensor_logger_time_backwards/TotalAcceleration.csv", "time goes back by 0.090 s", 14)

# Two sessions eleven days apart in one file: refused, not a grid of a million empty seconds.
w("time_jump_days.csv", RC_HEAD + rc_rows(20) + rc_rows(20, start=100_000_000))
case("time_jump_days.csv", "time jumps forward by 11.6 days at 0.2 s")

# A cell longer than the csv module takes (128 KB): named, and shown cut short.
w("huge_cell.csv", RC_HEAD + rc_rows(5) + "x" * 200_000 + ",0.1,0.2,9.8,0.01,0.02,0.03,\n" + rc_rows(5, 6))
case("huge_cell.csv", "expected a number, found '" + "x" * 40 + "... (200000 characters)'", 9, "t_s")

# A comment longer than the head that format detection reads: no header line in it.
w("long_comment.csv", "# note=" + "n" * 70_000 + "\n" + RC_HEAD + rc_rows(5))
case("long_comment.csv", "no header line in the first 64 KB")

# Time written in milliseconds under t_s: the header's rate gives it away.
w("time_in_ms.csv", RC_HEAD + "".join(f"{10 * i},0.1,0.2,9.8,0.01,0.02,0.03,\n" for i in range(20)))
case("time_in_ms.csv", "t_s advances at 0.1 samples a second, but nominal_rate_hz=100", "-", "t_s")

w("time_stands_still.csv", RC_HEAD + "5.000000,0.1,0.2,9.8,0.01,0.02,0.03,\n" * 10)
case("time_stands_still.csv", "every sample has the same time (5)")

w("utf16.csv", (RC_HEAD + rc_rows(5)).encode("utf-16"))
case("utf16.csv", "UTF-16 text; expected UTF-8")

case("does_not_exist.csv", "no such file or folder")

(OUT / "EXPECTED.txt").write_text(
    "# One bad input per line: path<TAB>message fragment<TAB>line (or -)<TAB>column (or -)\n"
    + "\n".join(expected)
    + "\n",
    encoding="utf-8",
)
