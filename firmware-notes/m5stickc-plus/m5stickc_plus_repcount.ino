// repcount wrist sensor firmware for the M5StickC Plus (ESP32-PICO-D4 + MPU6886).
//
// *** NOT COMPILED AND NOT RUN ON HARDWARE. ***
// This sketch was written against the public APIs of the M5StickCPlus library (MPU6886 FIFO functions)
// and NimBLE-Arduino 2.x (NimBLEConnInfo callbacks). Expect to fix small API differences before it
// builds; check the frames it sends against tests/vectors/repcount_gatt_frames.json.
//
// Protocol: firmware-notes/GATT-PROTOCOL.md (repcount GATT protocol, version 1).
// Libraries: "M5StickCPlus" (M5Stack), "NimBLE-Arduino" (h2zero) >= 2.0. Board: "M5Stick-C-Plus".
//
// What it does: the MPU6886 samples into its own FIFO at 100 Hz (configurable with SET_RATE), the ESP32
// wakes every 20 ms, drains the FIFO and sends frames of up to samples_per_frame(MTU) samples, or earlier
// when the oldest pending sample is 100 ms old. Screen off, CPU at 80 MHz, IMU FIFO off while nobody is
// subscribed: a few tens of mA instead of the ~100 mA of the demo firmware with the screen on.

#include <M5StickCPlus.h>
#include <NimBLEDevice.h>
#include <Wire.h>
#if __has_include(<esp_mac.h>)
#include <esp_mac.h>  // esp_read_mac() moved here in newer ESP32 cores
#endif

// ---- protocol constants (GATT-PROTOCOL.md) -------------------------------------------------------
static const char* SERVICE_UUID = "6f348430-b50b-414b-a52e-79b9d799af5b";
static const char* CONFIG_UUID = "df394fef-64cb-4aca-8bfd-73876ec40313";
static const char* DATA_UUID = "0cd9c3db-da2e-41bf-88a1-456a6bd8d030";
static const char* CONTROL_UUID = "0246861e-531d-4fcd-8d7c-48c7e6c55252";

static const uint8_t PROTOCOL_VERSION = 1;
static const uint8_t FRAME_VERSION = 1;
static const uint8_t IMU_MODEL_MPU6886 = 1;
static const uint8_t FW_MAJOR = 1, FW_MINOR = 0, FW_PATCH = 0;
static const uint16_t ACC_RANGE_G = 8;       // MPU6886::AFS_8G
static const uint16_t GYRO_RANGE_DPS = 2000;  // MPU6886::GFS_2000DPS (16.4 LSB/dps = 1998 dps, 0.1 %)
static const uint16_t FRAME_HEADER = 8;
static const uint16_t SAMPLE_BYTES = 12;
static const uint16_t MAX_SAMPLES = 42;  // MTU 517
static const uint32_t FLUSH_AGE_US = 100000;  // send at least every 100 ms

// MPU6886 registers read directly: the library keeps its I2C functions private.
static const uint8_t MPU_ADDR = 0x68;
static const uint8_t REG_INT_STATUS = 0x3A;  // bit 4: FIFO overflow
static const uint8_t REG_FIFO_COUNT_H = 0x72;
static const uint8_t FIFO_SAMPLE_BYTES = 14;  // accel 6 + temperature 2 + gyro 6

// ---- state --------------------------------------------------------------------------------------
struct Sample {
  int16_t v[6];  // ax, ay, az, gx, gy, gz
};

static NimBLEServer* server = nullptr;
static NimBLECharacteristic* configChr = nullptr;
static NimBLECharacteristic* dataChr = nullptr;
static volatile bool subscribed = false;
static volatile bool startRequested = false;
static volatile bool stopRequested = false;
static volatile uint16_t mtu = 23;
static uint8_t rateDivider = 9;  // MPU6886 rate = 1000 / (1 + divider) Hz: 9 -> 100 Hz
static uint32_t rateChz = 10000;
static bool streaming = false;

static Sample pending[64];  // more than one FIFO's worth (1 KB / 14 B = 73 samples is never reached at 20 ms)
static uint8_t pendingCount = 0;
static uint64_t nextSampleIndex = 0;  // index of the next sample taken from the FIFO
static uint64_t pendingFirstIndex = 0;
static uint64_t streamStartUs = 0;
static uint16_t seq = 0;
static uint32_t advFastUntilMs = 0;
static bool advSlow = false;

// ---- utilities ----------------------------------------------------------------------------------
static void put16(uint8_t* p, uint16_t v) {
  p[0] = v & 0xFF;
  p[1] = v >> 8;
}
static void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xFF;
}

static uint8_t readReg(uint8_t reg) {
  Wire1.beginTransmission(MPU_ADDR);  // the IMU sits on the internal bus Wire1 (SDA 21, SCL 22)
  Wire1.write(reg);
  Wire1.endTransmission(false);
  Wire1.requestFrom(MPU_ADDR, (uint8_t)1);
  return Wire1.available() ? Wire1.read() : 0;
}

static uint16_t fifoCount() {
  uint8_t hi = readReg(REG_FIFO_COUNT_H);
  uint8_t lo = readReg(REG_FIFO_COUNT_H + 1);
  return ((uint16_t)(hi & 0x1F) << 8) | lo;
}

// Sensor time of a sample, from its index: the IMU's clock paces the samples, so index x period gives a
// jitter-free timeline; only the start is anchored to micros().
static uint64_t sampleTimeUs(uint64_t index) { return streamStartUs + index * 100000000ULL / rateChz; }

static void publishConfig() {
  const char* name = "MPU6886";
  uint8_t buf[14 + 7];
  buf[0] = PROTOCOL_VERSION;
  put32(buf + 1, rateChz);
  put16(buf + 5, ACC_RANGE_G);
  put16(buf + 7, GYRO_RANGE_DPS);
  buf[9] = IMU_MODEL_MPU6886;
  buf[10] = FW_MAJOR;
  buf[11] = FW_MINOR;
  buf[12] = FW_PATCH;
  buf[13] = 7;
  memcpy(buf + 14, name, 7);
  configChr->setValue(buf, sizeof(buf));
}

static uint16_t samplesPerFrame() {
  uint16_t payload = (mtu > 517 ? 517 : mtu) - 3;
  uint16_t n = (payload - FRAME_HEADER) / SAMPLE_BYTES;
  return n > MAX_SAMPLES ? MAX_SAMPLES : n;
}

// Build and send one frame of the first `n` pending samples. `seq` advances even when the notification
// cannot be queued, so the client sees the loss as a sequence gap.
static void sendFrame(uint8_t n) {
  static uint8_t frame[FRAME_HEADER + SAMPLE_BYTES * MAX_SAMPLES];
  frame[0] = FRAME_VERSION;
  put16(frame + 1, seq);
  put32(frame + 3, (uint32_t)sampleTimeUs(pendingFirstIndex));  // wraps every 71.6 min by design
  frame[7] = n;
  for (uint8_t i = 0; i < n; i++) {
    for (uint8_t k = 0; k < 6; k++) put16(frame + FRAME_HEADER + SAMPLE_BYTES * i + 2 * k, pending[i].v[k]);
  }
  dataChr->notify(frame, FRAME_HEADER + SAMPLE_BYTES * n);
  seq++;
  memmove(pending, pending + n, sizeof(Sample) * (pendingCount - n));
  pendingCount -= n;
  pendingFirstIndex += n;
}

static void startStreaming() {
  seq = 0;
  pendingCount = 0;
  nextSampleIndex = 0;
  pendingFirstIndex = 0;
  M5.Imu.enableFIFO((MPU6886::Fodr)rateDivider);  // the enum values are the rate dividers
  M5.Imu.resetFIFO();
  streamStartUs = esp_timer_get_time();
  streaming = true;
}

static void stopStreaming() {
  M5.Imu.disableFIFO();
  streaming = false;
}

static void drainFifo() {
  if (readReg(REG_INT_STATUS) & 0x10) {
    // FIFO overflowed: samples were lost inside the IMU. Skip the index ahead by the elapsed time so t0
    // jumps and the client marks a gap (GATT-PROTOCOL.md, "clock jump").
    M5.Imu.resetFIFO();
    uint64_t elapsed = esp_timer_get_time() - streamStartUs;
    nextSampleIndex = elapsed * rateChz / 100000000ULL;
    while (pendingCount) {  // flush what came before the hole
      uint16_t perFrame = samplesPerFrame();
      sendFrame(pendingCount < perFrame ? pendingCount : perFrame);
    }
    pendingFirstIndex = nextSampleIndex;
    return;
  }
  uint16_t available = fifoCount() / FIFO_SAMPLE_BYTES;
  int16_t buf[7];
  while (available-- && pendingCount < sizeof(pending) / sizeof(pending[0])) {
    if (M5.Imu.getFIFOData(buf) != 0) break;
    if (pendingCount == 0) pendingFirstIndex = nextSampleIndex;
    memcpy(pending[pendingCount].v, buf, 6 * sizeof(int16_t));  // ax, ay, az, gx, gy, gz; buf[6] = temp
    pendingCount++;
    nextSampleIndex++;
  }
}

static void setRate(uint32_t requestedChz) {
  // MPU6886: rate = 1000 / (1 + divider) Hz; pick the nearest reachable rate.
  uint32_t div = (100000 + requestedChz / 2) / requestedChz;  // round(1000 Hz / rate)
  if (div < 1) div = 1;
  if (div > 256) div = 256;
  rateDivider = div - 1;
  rateChz = (100000 + div / 2) / div;
  publishConfig();
}

// ---- BLE callbacks ------------------------------------------------------------------------------
class ServerCallbacks : public NimBLEServerCallbacks {
  void onConnect(NimBLEServer* s, NimBLEConnInfo& info) override {
    // 15-30 ms interval (units of 1.25 ms), latency 0, supervision timeout 4 s (units of 10 ms).
    s->updateConnParams(info.getConnHandle(), 12, 24, 0, 400);
  }
  void onDisconnect(NimBLEServer* s, NimBLEConnInfo& info, int reason) override {
    subscribed = false;
    stopRequested = true;
    mtu = 23;
    advFastUntilMs = millis() + 30000;
    advSlow = true;  // force the switch back to fast advertising in loop()
  }
  void onMTUChange(uint16_t newMtu, NimBLEConnInfo& info) override { mtu = newMtu; }
};

class DataCallbacks : public NimBLECharacteristicCallbacks {
  void onSubscribe(NimBLECharacteristic* c, NimBLEConnInfo& info, uint16_t subValue) override {
    subscribed = (subValue & 0x0001) != 0;
    if (subscribed) startRequested = true;
    else stopRequested = true;
  }
};

class ControlCallbacks : public NimBLECharacteristicCallbacks {
  void onWrite(NimBLECharacteristic* c, NimBLEConnInfo& info) override {
    NimBLEAttValue v = c->getValue();
    const uint8_t* d = v.data();
    // The write callback cannot answer with an ATT error here, so bad commands are ignored.
    if (v.size() == 1 && d[0] == 0x01 && subscribed) startRequested = true;
    else if (v.size() == 1 && d[0] == 0x02) stopRequested = true;
    else if (v.size() == 5 && d[0] == 0x03 && !streaming) {
      uint32_t chz = d[1] | (d[2] << 8) | (d[3] << 16) | ((uint32_t)d[4] << 24);
      if (chz > 0) setRate(chz);
    }
  }
};

static void startAdvertising(bool fast) {
  NimBLEAdvertising* adv = NimBLEDevice::getAdvertising();
  adv->stop();
  adv->setMinInterval(fast ? 160 : 1600);  // units of 0.625 ms: 100 ms fast, 1 s slow
  adv->setMaxInterval(fast ? 240 : 1760);
  adv->start();
  advSlow = !fast;
}

// ---- setup / loop -------------------------------------------------------------------------------
void setup() {
  M5.begin(false, true, false);  // no LCD, power chip on, no serial: the screen is the biggest drain
  M5.Axp.ScreenBreath(0);
  M5.Axp.SetLDO2(false);  // LDO2 feeds the backlight
  setCpuFrequencyMhz(80);  // the lowest clock at which the ESP32 radio still runs
  M5.Imu.Init();
  M5.Imu.SetAccelFsr(MPU6886::AFS_8G);
  M5.Imu.SetGyroFsr(MPU6886::GFS_2000DPS);

  uint8_t mac[6];
  esp_read_mac(mac, ESP_MAC_BT);
  char name[20];
  snprintf(name, sizeof(name), "M5SP-wrist-%02X%02X", mac[4], mac[5]);

  NimBLEDevice::init(name);
  NimBLEDevice::setMTU(247);
  server = NimBLEDevice::createServer();
  server->setCallbacks(new ServerCallbacks());
  NimBLEService* svc = server->createService(SERVICE_UUID);
  configChr = svc->createCharacteristic(CONFIG_UUID, NIMBLE_PROPERTY::READ);
  dataChr = svc->createCharacteristic(DATA_UUID, NIMBLE_PROPERTY::NOTIFY);
  dataChr->setCallbacks(new DataCallbacks());
  NimBLECharacteristic* controlChr = svc->createCharacteristic(CONTROL_UUID, NIMBLE_PROPERTY::WRITE);
  controlChr->setCallbacks(new ControlCallbacks());
  publishConfig();
  svc->start();

  // Flags + 128-bit service UUID in the advertisement, the name in the scan response.
  NimBLEAdvertisementData advData;
  advData.setFlags(BLE_HS_ADV_F_DISC_GEN | BLE_HS_ADV_F_BREDR_UNSUP);
  advData.setCompleteServices(NimBLEUUID(SERVICE_UUID));
  NimBLEAdvertisementData scanData;
  scanData.setName(name);
  NimBLEAdvertising* adv = NimBLEDevice::getAdvertising();
  adv->setAdvertisementData(advData);
  adv->setScanResponseData(scanData);
  adv->enableScanResponse(true);
  advFastUntilMs = millis() + 30000;
  startAdvertising(true);
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
  if (server->getConnectedCount() == 0) {
    bool wantFast = (int32_t)(advFastUntilMs - millis()) > 0;
    if (wantFast == advSlow) startAdvertising(wantFast);
    delay(100);
    return;
  }
  if (streaming) {
    drainFifo();
    uint16_t perFrame = samplesPerFrame();
    while (pendingCount >= perFrame) sendFrame(perFrame);
    uint64_t now = esp_timer_get_time();
    if (pendingCount && now - sampleTimeUs(pendingFirstIndex) >= FLUSH_AGE_US) sendFrame(pendingCount);
  }
  delay(20);  // the IMU keeps sampling into its FIFO while the CPU idles
}
