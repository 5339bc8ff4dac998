"""Live streaming from a wrist sensor: sensor time to a recording timeline, and the CSV recorder.

- `timeline.Timeline`: frames in (sequence number, sensor clock, samples, host arrival time), batches of
  samples out on one drift-corrected timeline in seconds since the session start, gaps marked.
- `recorder.CsvRecorder`: writes those batches to a repcount-csv file as they arrive (sensor/FORMAT.md).

Pure Python and numpy: no BLE here, so both are testable offline; `sensor.ble` feeds them.
"""

from __future__ import annotations

from sensor.live.recorder import CsvRecorder
from sensor.live.timeline import ClockFit, SampleBatch, SensorFrame, Timeline, TimelineStats

__all__ = ["ClockFit", "CsvRecorder", "SampleBatch", "SensorFrame", "Timeline", "TimelineStats"]
