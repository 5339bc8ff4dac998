"""Run every benchmark and print their figures: `make bench`.

The long sessions and the folder of 500 sessions are simulated on the first run and cached (see
benchmarks/_sessions.py); that first run takes several minutes more and a few GB of disk.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["accuracy.py", "--n", "200"],
    ["accuracy.py", "--n", "200", "--formats"],
    ["generic_cara.py"],
    ["baseline.py", "--n", "200"],
    ["speed.py", "--sessions", "1@100,8@416", "--runs", "3"],
    ["batch_speed.py", "--n", "500", "--runs", "3"],
    ["live_speed.py", "--hours", "1", "--rate", "100"],
    ["live_speed.py", "--hours", "1", "--rate", "416"],
    ["live_agreement.py", "--n", "100", "--seed", "0"],
]

if __name__ == "__main__":
    status = 0
    for args in RUNS:
        print(f"\n$ python benchmarks/{' '.join(args)}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]])
    sys.exit(status)
