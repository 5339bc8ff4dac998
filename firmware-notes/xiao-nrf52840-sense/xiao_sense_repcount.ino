// repcount wrist sensor firmware for the Seeed XIAO nRF52840 Sense (nRF52840 + LSM6DS3 / LSM6DS3TR-C).
//
// *** NOT COMPILED AND NOT RUN ON HARDWARE. ***
// This sketch was written against the public APIs of the Seeed Arduino LSM6DS3 library (FIFO functions
// and its FifoExample) and Adafruit's Bluefruit nRF52 library. Expect to fix small API differences
// before it builds; check the frames it sends against tests/vectors/repcount_gatt_frames.json.
//
// Protocol: firmware-notes/GATT-PROTOCOL.md (repcount GATT protocol, version 1).
// Board package: "Seeed nRF52 Boards" (the Adafruit-based core that ships Bluefruit), board
// "Seeed XIAO nRF52840 Sense". Library: "Seeed Arduino LSM6DS3".
//
// What it does: the IMU samples accelerometer and gyroscope at 104 Hz into its FIFO together with its
// own 25 us timestamp; every 40 ms the MCU reads the FIFO in one batch and sends frames whose t0 is the
// IMU timestamp of the frame's first sample, so BLE and loop() jitter never reach the sample times.
// Between batches the nRF52 sleeps in delay(); with nobody subscribed the IMU is powered down.

#include <LSM6DS3.h>
#include <Wire.h>
#include <bluefruit.h>

// ---- protocol constants (GATT-PROTOCOL.md) -------------------------------------------------------
// Bluefruit takes 128-bit UUIDs as 16 bytes, least significant byte first (the string read backwards).
// 6f348430-b50b-414b-a52e-79b9d799af5b
static const uint8_t SERVICE_UUID[16] = {0x5b, 0xaf, 0x99, 0xd7, 0xb9, 0x79, 0x2e, 0xa5,
                                         0x4b, 0x41, 0x0b, 0xb5, 0x30, 0x84, 0x34, 0x6f};
// df394fef-64cb-4aca-8bfd-73876ec40313
static const uint8_t CONFIG_UUID[16] = {0x13, 0x03, 0xc4, 0x6e, 0x87, 0x73, 0xfd, 0x8b,
                                        0xca, 0x4a, 0xcb, 0x64, 0xef, 0x4f, 0x39, 0xdf};
// 0cd9c3db-da2e-41bf-88a1-456a6bd8d030
static const uint8_t DATA_UUID[16] = {0x30, 0xd0, 0xd8, 0x6b, 0x6a, 0x45, 0xa1, 0x88,
                                      0xbf, 0x41, 0x2e, 0xda, 0xdb, 0xc3, 0xd9, 0x0c};
// 0246861e-531d-4fcd-8d7c-48c7e6c55252
static const uint8_t CONTROL_UUID[16] = {0x52, 0x52, 0xc5, 0xe6, 0xc7, 0x48, 0x7c, 0x8d,
                                         0xcd, 0x4f, 0x1d, 0x53, 0x1e, 0x86, 0x46, 0x02};

static const uint8_t PROTOCOL_VERSION = 1;
static const uint8_t FRAME_VERSION = 1;
static const uint8_t FW_MAJOR = 1, FW_MINOR = 0, FW_PATCH = 0;
static const uint32_t RATE_CHZ = 10400;  // 104 Hz, an LSM6DS3 output data rate
static const uint16_t ACC_RANGE_G = 16;  // 0.488 mg/LSB = 16 g / 32768
// 2000 dps setting = 70 mdps/LSB (datasheet), so one LSB is 2294/32768 dps, not 2000/32768.
static const uint16_t GYRO_RANGE_DPS = 2294;
static const uint16_t FRAME_HEADER = 8;
static const uint16_t SAMPLE_BYTES = 12;
static const uint16_t MAX_SAMPLES = 19;  // we request MTU 247
static const uint32_t FLUSH_AGE_US = 100000;
static const uint8_t WORDS_PER_SAMPLE = 12;  // FIFO pattern: gyro 3, accel 3, data set 3, timestamp 3
static const uint32_t TICK_US = 25;          // timestampResolution = 1

// ---- state --------------------------------------------------------------------------------------
struct Sample {
  int16_t v[6];  // ax, ay, az, gx, gy, gz (note: the FIFO gives gyro first)
  uint64_t tUs;  // IMU time
};

LSM6DS3 imu(I2C_MODE, 0x6A);
BLEService service(SERVICE_UUID);
BLECharacteristic configChr(CONFIG_UUID);
BLECharacteristic dataChr(DATA_UUID);
BLECharacteristic controlChr(CONTROL_UUID);

static uint16_t connHandle = BLE_CONN_HANDLE_INVALID;
static volatile bool startRequested = false;
static volatile bool stopRequested = false;
static bool streaming = false;
static uint8_t imuModel = 2;  // 2 LSM6DS3, 3 LSM6DS3TR-C (from WHO_AM_I)
static Sample pending[64];
static uint8_t pendingCount = 0;
static uint16_t seq = 0;
static uint32_t lastTick = 0;   // 24-bit IMU timestamp counter, last value read
static uint64_t tickTotal = 0;  // extended to 64 bits: the 24-bit counter wraps every 419 s
static bool haveTick = false;

// ---- utilities ----------------------------------------------------------------------------------
static void put16(uint8_t* p, uint16_t v) {
  p[0] = v & 0xFF;
  p[1] = v >> 8;
}
static void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xFF;
}

static void publishConfig() {
  const char* name = imuModel == 3 ? "LSM6DS3C" : "LSM6DS3";
  uint8_t len = strlen(name);
  uint8_t buf[14 + 8];
  buf[0] = PROTOCOL_VERSION;
  put32(buf + 1, RATE_CHZ);
  put16(buf + 5, ACC_RANGE_G);
  put16(buf + 7, GYRO_RANGE_DPS);
  buf[9] = imuModel;
  buf[10] = FW_MAJOR;
  buf[11] = FW_MINOR;
  buf[12] = FW_PATCH;
  buf[13] = len;
  memcpy(buf + 14, name, len);
  configChr.write(buf, 14 + len);
}

static uint16_t samplesPerFrame() {
  BLEConnection* conn = Bluefruit.Connection(connHandle);
  uint16_t mtu = conn ? conn->getMtu() : 23;
  uint16_t n = (mtu - 3 - FRAME_HEADER) / SAMPLE_BYTES;
  return n > MAX_SAMPLES ? MAX_SAMPLES : n;
}

static uint64_t extendTicks(uint32_t tick) {
  if (!haveTick) {
    haveTick = true;
    lastTick = tick;
    tickTotal = tick;
  } else {
    tickTotal += (tick - lastTick) & 0xFFFFFF;
    lastTick = tick;
  }
  return tickTotal * TICK_US;
}

// One frame of the first n pending samples; seq advances even if the notification fails, so the client
// sees the loss as a sequence gap.
static void sendFrame(uint8_t n) {
  static uint8_t frame[FRAME_HEADER + SAMPLE_BYTES * MAX_SAMPLES];
  frame[0] = FRAME_VERSION;
  put16(frame + 1, seq);
  put32(frame + 3, (uint32_t)pending[0].tUs);  // the IMU time of the first sample, wrapping at 2^32 us
  frame[7] = n;
  for (uint8_t i = 0; i < n; i++) {
    for (uint8_t k = 0; k < 6; k++) put16(frame + FRAME_HEADER + SAMPLE_BYTES * i + 2 * k, pending[i].v[k]);
  }
  dataChr.notify(frame, FRAME_HEADER + SAMPLE_BYTES * n);
  seq++;
  memmove(pending, pending + n, sizeof(Sample) * (pendingCount - n));
  pendingCount -= n;
}

static void imuPowerDown() {
  imu.writeRegister(LSM6DS3_ACC_GYRO_CTRL1_XL, 0x00);
  imu.writeRegister(LSM6DS3_ACC_GYRO_CTRL2_G, 0x00);
}

static void startStreaming() {
  imu.settings.accelEnabled = 1;
  imu.settings.accelRange = 16;
  imu.settings.accelSampleRate = 104;
  imu.settings.accelBandWidth = 50;
  imu.settings.accelFifoEnabled = 1;
  imu.settings.accelFifoDecimation = 1;
  imu.settings.gyroEnabled = 1;
  imu.settings.gyroRange = 2000;
  imu.settings.gyroSampleRate = 104;
  imu.settings.gyroFifoEnabled = 1;
  imu.settings.gyroFifoDecimation = 1;
  imu.settings.tempEnabled = 0;
  imu.settings.timestampEnabled = 1;
  imu.settings.timestampFifoEnabled = 1;
  imu.settings.timestampResolution = 1;  // 25 us ticks
  imu.settings.fifoThreshold = 240;      // only polled, never waited on
  imu.settings.fifoSampleRate = 100;     // the library's name for the 104 Hz FIFO rate code (check!)
  imu.settings.fifoModeWord = 6;         // continuous
  imu.begin();
  imu.fifoBegin();
  imu.fifoClear();
  seq = 0;
  pendingCount = 0;
  haveTick = false;
  streaming = true;
}

static void stopStreaming() {
  imu.fifoEnd();
  imuPowerDown();
  streaming = false;
}

// Drop single FIFO words until the next word is the first of a sample (gyro X): FIFO_STATUS3/4 hold the
// position inside the 12-word pattern. Needed after an overrun or if a read was cut short.
static bool alignToPattern(uint16_t& words) {
  uint8_t lo = 0, hi = 0;
  while (words) {
    imu.readRegister(&lo, LSM6DS3_ACC_GYRO_FIFO_STATUS3);
    imu.readRegister(&hi, LSM6DS3_ACC_GYRO_FIFO_STATUS4);
    if ((((uint16_t)(hi & 0x03) << 8) | lo) == 0) return true;
    imu.fifoRead();
    words--;
  }
  return false;
}

static void readFifoBatch() {
  uint16_t status = imu.fifoGetStatus();
  if (status & 0x4000) {
    // Overrun: the oldest samples were overwritten. The IMU timestamps of what follows jump, which the
    // client reports as a gap; nothing else to do here than to resynchronise on the pattern.
  }
  uint16_t words = status & 0x0FFF;
  if (!alignToPattern(words)) return;
  uint16_t samples = words / WORDS_PER_SAMPLE;
  while (samples-- && pendingCount < sizeof(pending) / sizeof(pending[0])) {
    Sample& s = pending[pendingCount];
    s.v[3] = imu.fifoRead();  // gyro x, y, z come first in the pattern
    s.v[4] = imu.fifoRead();
    s.v[5] = imu.fifoRead();
    s.v[0] = imu.fifoRead();  // then accel x, y, z
    s.v[1] = imu.fifoRead();
    s.v[2] = imu.fifoRead();
    imu.fifoTimestamp();                       // data set 3 (unused), read as the library example does
    s.tUs = extendTicks(imu.fifoTimestamp());  // data set 4: the sample's timestamp
    pendingCount++;
  }
}

// ---- BLE callbacks ------------------------------------------------------------------------------
static void onConnect(uint16_t handle) {
  connHandle = handle;
  BLEConnection* conn = Bluefruit.Connection(handle);
  conn->requestDataLengthUpdate();
  conn->requestMtuExchange(247);
  conn->requestConnectionParameter(24, 0, 400);  // 30 ms; the preferred 15-30 ms range is set in setup()
}

static void onDisconnect(uint16_t handle, uint8_t reason) {
  connHandle = BLE_CONN_HANDLE_INVALID;
  stopRequested = true;
}

static void onCccd(uint16_t handle, BLECharacteristic* chr, uint16_t value) {
  if (chr->notifyEnabled(handle)) startRequested = true;
  else stopRequested = true;
}

static void onControl(uint16_t handle, BLECharacteristic* chr, uint8_t* data, uint16_t len) {
  // Only 104 Hz is offered: SET_RATE is acknowledged and ignored, the config keeps saying 104 Hz.
  if (len == 1 && data[0] == 0x01 && dataChr.notifyEnabled(handle)) startRequested = true;
  else if (len == 1 && data[0] == 0x02) stopRequested = true;
}

// ---- setup / loop -------------------------------------------------------------------------------
void setup() {
#ifdef PIN_LSM6DS3TR_C_POWER
  pinMode(PIN_LSM6DS3TR_C_POWER, OUTPUT);  // the Sense board switches the IMU's supply with a pin
  digitalWrite(PIN_LSM6DS3TR_C_POWER, HIGH);
  delay(10);
#endif
  imu.begin();
  uint8_t who = 0;
  imu.readRegister(&who, LSM6DS3_ACC_GYRO_WHO_AM_I_REG);
  imuModel = (who == LSM6DS3_C_ACC_GYRO_WHO_AM_I) ? 3 : 2;
  imuPowerDown();

  Bluefruit.configPrphBandwidth(BANDWIDTH_MAX);  // before begin(): room for MTU 247 and a deeper queue
  Bluefruit.begin();
  Bluefruit.setTxPower(0);
  Bluefruit.autoConnLed(false);  // LEDs cost more than the radio at this duty cycle
  uint8_t mac[6];
  Bluefruit.getAddr(mac);  // least significant byte first
  char name[20];
  snprintf(name, sizeof(name), "XIAO-wrist-%02X%02X", mac[1], mac[0]);
  Bluefruit.setName(name);
  Bluefruit.Periph.setConnInterval(12, 24);  // preferred 15-30 ms, in units of 1.25 ms
  Bluefruit.Periph.setConnectCallback(onConnect);
  Bluefruit.Periph.setDisconnectCallback(onDisconnect);

  service.begin();
  configChr.setProperties(CHR_PROPS_READ);
  configChr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  configChr.setMaxLen(30);
  configChr.begin();
  publishConfig();

  dataChr.setProperties(CHR_PROPS_NOTIFY);
  dataChr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  dataChr.setMaxLen(FRAME_HEADER + SAMPLE_BYTES * MAX_SAMPLES);
  dataChr.setCccdWriteCallback(onCccd);
  dataChr.begin();

  controlChr.setProperties(CHR_PROPS_WRITE);
  controlChr.setPermission(SECMODE_NO_ACCESS, SECMODE_OPEN);
  controlChr.setMaxLen(5);
  controlChr.setWriteCallback(onControl);
  controlChr.begin();

  // Flags + 128-bit service UUID in the advertisement, the name in the scan response.
  Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
  Bluefruit.Advertising.addService(service);
  Bluefruit.ScanResponse.addName();
  Bluefruit.Advertising.restartOnDisconnect(true);
  Bluefruit.Advertising.setInterval(160, 1600);  // 100 ms fast, 1 s slow (units of 0.625 ms)
  Bluefruit.Advertising.setFastTimeout(30);      // seconds of fast advertising
  Bluefruit.Advertising.start(0);                // advertise until connected
}

void loop() {
  if (stopRequested) {
    stopRequested = false;
    if (streaming) stopStreaming();
  }
  if (startRequested) {
    startRequested = false;
    if (!streaming) startStreaming();
  }
  if (!streaming) {
    delay(200);
    return;
  }
  readFifoBatch();
  uint16_t perFrame = samplesPerFrame();
  while (pendingCount >= perFrame) sendFrame(perFrame);
  // Flush a partial frame once its first sample is 100 ms older than the newest one read.
  if (pendingCount && pending[pendingCount - 1].tUs - pending[0].tUs >= FLUSH_AGE_US) sendFrame(pendingCount);
  delay(40);  // about 4 samples at 104 Hz; the FIFO holds far more
}
