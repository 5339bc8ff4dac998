"""BLE side of live mode: sensor profiles, the `LiveSensor` client on bleak, and a simulated sensor.

- `profiles`: `SensorProfile` adapters from a BLE GATT protocol to timeline frames (our protocol, Polar).
- `client`: `scan_sensors` and `LiveSensor` (connect, stream, reconnect, events out).
- `bumble_backend`: a bleak backend over Bumble's in-process virtual radio (tests, demos).
- `simulated`: a simulated wrist sensor, a Bumble GATT server playing a recording with injected faults.

Only `client` and `profiles` are needed with real hardware; the Bumble modules import Bumble.
"""
