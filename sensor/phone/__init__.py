"""Live samples from a phone worn in an armband: Sensor Logger's HTTP push and phyphox's remote access.

Both sources yield the live runner's events (`repcount.live`): `samples` batches on one timeline
(accelerometer with gravity in Android's sign, gyroscope interpolated onto its times) and connection
events. `merge.StreamMerger` puts the phone's separate sensor streams back together.
"""

from .merge import MergerStats, StreamMerger

__all__ = ["MergerStats", "StreamMerger"]
