// The emulated Raspberry Pi Pico: rp2040js 1.4.1 running the stock MicroPython UF2 with the
// B1 boot ROM, a writable QSPI flash chip, USB CDC, and every device outside the chip answered
// by the Python models (tools/emu/board.py) over this process's stdin/stdout.
//
// Protocol: one JSON object per line.  Python sends a command and then reads lines until this
// process answers {"ev":"done"}; while it runs, the chip asks questions ({"q":...}), each
// answered by exactly one line from Python before the chip executes another instruction.  The
// chip therefore only runs while Python waits, and every host action lands at an exact
// emulated instant (t: nanoseconds of emulated time since the harness started, over resets).
//
//   {"cmd":"boot"}                        power on (flash image loaded before with "flash")
//   {"cmd":"flash","path":F,"offset":N}   copy a file into the flash at offset N
//   {"cmd":"dump","path":F}               write the whole 2 MB flash to a file
//   {"cmd":"run","ms":N,"until_nl":b}     run N emulated ms (stop early after a newline out)
//   {"cmd":"send","d":HEX}                bytes the USB host sends to the board
//   {"cmd":"pins","in":{"10":1}}          levels the outside drives onto inputs
//   {"cmd":"cut","after":N,"torn":b}      power fails at the Nth flash program/erase from now
//   {"cmd":"power_off"} / {"cmd":"quit"}
// Events: out (USB bytes from the board), usb (enumerated), reset (why), flash_op, done.
'use strict';
const fs = require('fs');
const path = require('path');
const rp = require('rp2040js');
const RPJS = path.dirname(require.resolve('rp2040js'));    // dist/cjs: modules not exported
const { RPSSI } = require(path.join(RPJS, 'peripherals/ssi.js'));
const { BasePeripheral } = require(path.join(RPJS, 'peripherals/peripheral.js'));
const { SimulationClock } = require(path.join(RPJS, 'clock/simulation-clock.js'));

const FLASH_SIZE = 2 * 1024 * 1024;         // the Pico's W25Q16
const CYCLE_NS = 1e9 / 125000000;          // 125 MHz: MicroPython's rp2 clock

// ---- the pipe to Python --------------------------------------------------------------------
let inBuf = Buffer.alloc(0);
function readLine() {
  for (;;) {
    const nl = inBuf.indexOf(10);
    if (nl >= 0) {
      const line = inBuf.subarray(0, nl).toString();
      inBuf = inBuf.subarray(nl + 1);
      return line;
    }
    const chunk = Buffer.alloc(65536);
    let n;
    try {
      n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') process.exit(0);
      throw e;
    }
    if (n === 0) process.exit(0);
    inBuf = Buffer.concat([inBuf, chunk.subarray(0, n)]);
  }
}
function emit(obj) {
  const s = JSON.stringify(obj) + '\n';
  let off = 0;
  const b = Buffer.from(s);
  while (off < b.length) {
    try {
      off += fs.writeSync(1, b, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}
function ask(obj) {
  obj.t = now();
  emit(obj);
  const reply = JSON.parse(readLine());
  if (reply.in) applyInputs(reply.in);
  return reply;
}

// ---- the flash chip behind the SSI ------------------------------------------------------------
// A W25Q-style NOR flash: erase sets bits to 1, program can only clear bits.  The boot ROM's
// flash routines drive chip select by the IO_QSPI SS output override and move bytes through
// the SSI data register; everything sent while CS is low is one command.
const flash = new Uint8Array(FLASH_SIZE).fill(0xff);
const chipState = { wel: false, cmd: [], rx: [], ops: 0, cutAt: 0, torn: false, dead: false };

function flashByte(tx) {
  const c = chipState.cmd;
  c.push(tx);
  const op = c[0];
  const addr = c.length >= 4 ? (c[1] << 16) | (c[2] << 8) | c[3] : 0;
  switch (op) {
    case 0x05: return c.length >= 2 ? (chipState.wel ? 2 : 0) : 0;          // status: never busy
    case 0x35: return 0x02;                                                 // status 2: QE
    case 0x03: return c.length > 4 ? flash[(addr + c.length - 5) % FLASH_SIZE] : 0;
    case 0x0b: return c.length > 5 ? flash[(addr + c.length - 6) % FLASH_SIZE] : 0;
    case 0x9f: return [0, 0xef, 0x40, 0x15][Math.min(c.length - 1, 3)];
    case 0x4b: return c.length > 5 ? 0x42 + c.length : 0;                   // unique id
    default: return 0;
  }
}

function flashEnd() {
  const c = chipState.cmd;
  chipState.cmd = [];
  if (!c.length) return;
  const op = c[0];
  if (op === 0x06) { chipState.wel = true; return; }
  if (op === 0x04) { chipState.wel = false; return; }
  const erase = { 0x20: 4096, 0x52: 32768, 0xd8: 65536 }[op];
  if ((erase || op === 0x02) && c.length >= 4 && chipState.wel) {
    chipState.wel = false;
    const addr = ((c[1] << 16) | (c[2] << 8) | c[3]) % FLASH_SIZE;
    chipState.ops++;
    const cut = chipState.cutAt && chipState.ops >= chipState.cutAt;
    if (erase) {
      const base = addr - (addr % erase);
      const n = cut ? (chipState.torn ? erase >> 1 : 0) : erase;
      flash.fill(0xff, base, base + n);
      mcu.flash.set(flash.subarray(base, base + erase), base);
      emit({ ev: 'flash_op', op: 'erase', addr: base, size: erase, n: chipState.ops, cut, t: now() });
    } else {
      const data = c.slice(4);
      const n = cut ? (chipState.torn ? data.length >> 1 : 0) : data.length;
      const page = addr & ~0xff;
      for (let i = 0; i < n; i++) {
        const a = page + (((addr & 0xff) + i) & 0xff);
        flash[a] &= data[i];
      }
      mcu.flash.set(flash.subarray(page, page + 256), page);
      emit({ ev: 'flash_op', op: 'program', addr, size: data.length, n: chipState.ops, cut, t: now() });
    }
    if (cut) {
      chipState.cutAt = 0;
      chipState.dead = true;          // the supply is gone: the run loop stops this chip
    }
  }
}

class QspiIO extends BasePeripheral {
  constructor(mcu, name) {
    super(mcu, name);
    this.regs = new Uint32Array(12);
    this.forced = false;        // CS driven low by override: the flash chip listens
    this.override = false;      // CS under override (low or high): the boot ROM's routines
  }
  readUint32(offset) {
    return offset < 48 ? this.regs[offset >> 2] : 0;
  }
  writeUint32(offset, value) {
    if (offset >= 48) return;
    this.regs[offset >> 2] = value;
    if (offset === 0x0c) {               // GPIO_QSPI_SS_CTRL: OUTOVER 2 = drive CS low
      const over = (value >> 8) & 3;
      const low = over === 2;
      if (low && !this.forced) chipState.cmd = [];
      if (!low && this.forced) flashEnd();
      this.forced = low;
      this.override = over !== 0;
      if (!this.override) chipState.rx = [];
    }
  }
}

class FlashSSI extends RPSSI {
  constructor(mcu, name, qspi) {
    super(mcu, name);
    this.qspi = qspi;
  }
  readUint32(offset) {
    if (this.qspi.override) {
      switch (offset) {
        case 0x20: return 0;                                   // TXFLR: sent at once
        case 0x24: return chipState.rx.length;                 // RXFLR
        case 0x28: return 0x06 | (chipState.rx.length ? 0x08 : 0);   // TFE TFNF (RFNE)
        case 0x60: return chipState.rx.length ? chipState.rx.shift() : 0;
      }
    }
    return super.readUint32(offset);
  }
  writeUint32(offset, value) {
    if (this.qspi.override && offset === 0x60) {
      chipState.rx.push(this.qspi.forced ? flashByte(value & 0xff) : 0xff);
      return;
    }
    if (offset === 0x08 && !(value & 1)) chipState.rx = [];     // SSIENR off clears FIFOs
    super.writeUint32(offset, value);
  }
}

// ---- USB CDC: a host that answers a read only when it has data, as a real host does --------
class QuietCDC extends rp.USBCDC {
  constructor(usb) {
    super(usb);
    this.pendingRead = null;
    this.queue = [];                  // unbounded: a paste of any length arrives whole
    usb.onEndpointRead = (endpoint, size) => {
      if (endpoint !== this.outEndpoint) return;
      if (!this.queue.length) {
        this.pendingRead = [endpoint, size];
        return;
      }
      const n = Math.min(size, this.queue.length);
      usb.endpointReadDone(endpoint, Uint8Array.from(this.queue.splice(0, n)));
    };
  }
  sendSerialByte(b) {
    this.queue.push(b);
  }
  kick() {
    if (this.pendingRead && this.queue.length) {
      const [e, s] = this.pendingRead;
      this.pendingRead = null;
      this.usb.onEndpointRead(e, s);
    }
  }
}

// ---- the chip -----------------------------------------------------------------------------------
let mcu = null;
let clock = null;
let cdc = null;
let baseNs = 0;                 // emulated time before the present chip's power-on
let resetWhy = null;
let uf2 = null;
let bootrom = null;
let watched = new Set();
let inputs = {};                // pin -> level driven from outside (sticky over resets)
let i2cPinState = null;

function now() {
  return Math.round(baseNs + (clock ? clock.nanos : 0));
}

function applyInputs(map) {
  for (const k of Object.keys(map)) {
    inputs[k] = map[k] ? 1 : 0;
    if (mcu) mcu.gpio[+k].setInputValue(!!map[k]);
  }
}

function loadUF2(data, target) {
  for (let off = 0; off + 512 <= data.length; off += 512) {
    const v = new DataView(data.buffer, data.byteOffset + off, 512);
    if (v.getUint32(0, true) !== 0x0a324655 || v.getUint32(4, true) !== 0x9e5d5157) continue;
    const addr = v.getUint32(12, true);
    const size = v.getUint32(16, true);
    const at = addr - 0x10000000;
    if (at >= 0 && at + size <= target.length) target.set(data.subarray(off + 32, off + 32 + size), at);
  }
}

// I2C scan(): MicroPython bit-bangs zero-length writes on GP4/GP5 in SIO mode.  An I2C target
// at pin level: START, 8 address bits sampled on SCL rising, ACK driven during the ninth clock.
function makeBitI2C(sdaPin, sclPin) {
  const st = { phase: 'idle', bits: 0, n: 0, ack: false, sda: 1, scl: 1 };
  const level = (p) => (mcu.gpio[p].value === rp.GPIOPinState.Low ? 0 : 1);
  const update = () => {
    const g = mcu.gpio;
    if (g[sdaPin].functionSelect !== 5 && g[sclPin].functionSelect !== 5) return;
    const scl = level(sclPin);
    let sda = level(sdaPin) && !st.ack ? 1 : 0;
    if (st.scl && scl && st.sda && !sda) { st.phase = 'addr'; st.bits = 0; st.n = 0; }
    else if (st.scl && scl && !st.sda && sda && !st.ack) { st.phase = 'idle'; }
    else if (!st.scl && scl && st.phase === 'addr') { st.bits = (st.bits << 1) | sda; st.n++; }
    else if (st.scl && !scl) {
      if (st.phase === 'addr' && st.n === 8) {
        const r = ask({ q: 'scan', a: st.bits >> 1 });
        st.ack = !!r.ack;
        st.phase = 'ack';
      } else if (st.phase === 'ack') {
        st.ack = false;
        st.phase = 'data';
      }
    }
    sda = level(sdaPin) && !st.ack ? 1 : 0;
    st.scl = scl;
    st.sda = sda;
    g[sdaPin].setInputValue(!!sda);
    g[sclPin].setInputValue(!!scl);
  };
  return update;
}

function powerOn() {
  clock = new SimulationClock();
  mcu = new rp.RP2040(clock);
  mcu.logger = new rp.ConsoleLogger(rp.LogLevel.Error, true);
  mcu.loadBootrom(bootrom);
  const qspi = new QspiIO(mcu, 'IO_QSPI_BASE');
  mcu.peripherals[0x40018] = qspi;
  mcu.peripherals[0x18000] = new FlashSSI(mcu, 'SSI', qspi);
  mcu.flash.set(flash);            // XIP reads this copy; flashEnd() keeps it in step
  chipState.cmd = []; chipState.rx = []; chipState.wel = false; chipState.dead = false;
  const wd = mcu.peripherals[0x40058];
  wd.onWatchdogTrigger = () => {
    resetWhy = wd.reason === 2 ? 'force' : 'watchdog';
    // rp2040js re-arms an expired watchdog at the same instant (an endless alarm loop):
    // this chip is about to be replaced, so its watchdog stops here
    wd.alarm.enable = false;
    wd.timer.enable = false;
  };
  const wdWrite = wd.writeUint32.bind(wd);
  wd.writeUint32 = (offset, value) => {      // LOAD: the watchdog is fed
    if (offset === 0x04) emit({ ev: 'wdt', t: now() });
    wdWrite(offset, value);
  };
  cdc = new QuietCDC(mcu.usbCtrl);
  cdc.onDeviceConnected = () => emit({ ev: 'usb', t: now() });
  cdc.onSerialData = (buf) => {
    emit({ ev: 'out', d: Buffer.from(buf).toString('hex'), t: now() });
    if (buf.indexOf(10) >= 0) stopForNewline = untilNl;
  };
  for (const k of Object.keys(inputs)) mcu.gpio[+k].setInputValue(!!inputs[k]);
  for (const p of watched) {
    mcu.gpio[p].addListener((state) => ask({ q: 'pin', p, s: state }));
  }
  const bit = makeBitI2C(4, 5);
  mcu.gpio[4].addListener(bit);
  mcu.gpio[5].addListener(bit);
  const i2c = mcu.i2c[0];
  i2c.onStart = (rep) => { ask({ q: 'i2c', op: 'start', rep }); i2c.completeStart(); };
  i2c.onConnect = (a, mode) => i2c.completeConnect(!!ask({ q: 'i2c', op: 'connect', a, r: mode }).ack);
  i2c.onWriteByte = (v) => i2c.completeWrite(!!ask({ q: 'i2c', op: 'write', v }).ack);
  i2c.onReadByte = () => i2c.completeRead(ask({ q: 'i2c', op: 'read' }).v & 0xff);
  i2c.onStop = () => { ask({ q: 'i2c', op: 'stop' }); i2c.completeStop(); };
  mcu.core.PC = 0x10000000;         // boot2 at the start of flash, as the boot ROM would
}

let stopForNewline = false;
let untilNl = false;

function restart(why) {
  baseNs = now() + (why === 'power' ? 2e9 : 1e6);    // a power cycle takes a moment
  emit({ ev: 'reset', why, t: baseNs });
  powerOn();
}

function run(ms) {
  const end = clock.nanos + ms * 1e6;
  stopForNewline = false;
  let i = 0;
  while (clock.nanos < end && !stopForNewline) {
    const core = mcu.core;
    if (core.waiting) {
      // asleep until an alarm; with none scheduled only the host can wake it: sleep to the end
      const next = clock.nanosToNextAlarm;
      const step = Math.min(next > 0 || clock.nextAlarm ? next : Infinity, end - clock.nanos);
      clock.tick(step > 0 ? step : CYCLE_NS);
    } else {
      clock.tick(core.executeInstruction() * CYCLE_NS);
    }
    if (resetWhy !== null || chipState.dead) {
      const why = chipState.dead ? 'power' : resetWhy;
      resetWhy = null;
      const left = end - clock.nanos;
      restart(why);
      if (why === 'power') return;          // report the cut at once
      // the rest of the run continues on the new chip
      return run(left / 1e6);
    }
    if ((++i & 0xfff) === 0) cdc.kick();
  }
  cdc.kick();
}

function main() {
  const args = JSON.parse(process.argv[2] || '{}');
  uf2 = fs.readFileSync(args.uf2);
  const rom = fs.readFileSync(args.bootrom);
  bootrom = new Uint32Array(rom.buffer, rom.byteOffset, rom.length >> 2);
  watched = new Set(args.watch || []);
  inputs = args.inputs || {};
  loadUF2(uf2, flash);
  for (;;) {
    const cmd = JSON.parse(readLine());
    switch (cmd.cmd) {
      case 'flash': {
        const data = fs.readFileSync(cmd.path);
        flash.set(data, cmd.offset);
        if (mcu) mcu.flash.set(flash);
        break;
      }
      case 'dump':
        fs.writeFileSync(cmd.path, flash);
        break;
      case 'boot':
        if (mcu) baseNs = now();
        powerOn();
        break;
      case 'power_cycle':
        restart('power');
        break;
      case 'run':
        untilNl = !!cmd.until_nl;
        run(cmd.ms);
        break;
      case 'send':
        for (const b of Buffer.from(cmd.d, 'hex')) cdc.sendSerialByte(b);
        cdc.kick();
        break;
      case 'pins':
        applyInputs(cmd.in);
        break;
      case 'cut':
        chipState.cutAt = chipState.ops + cmd.after;
        chipState.torn = !!cmd.torn;
        break;
      case 'quit':
        emit({ ev: 'done', t: now() });
        process.exit(0);
        break;
      default:
        emit({ ev: 'error', error: 'unknown command ' + cmd.cmd });
    }
    emit({ ev: 'done', t: now(), ops: chipState.ops });
  }
}

module.exports = { FLASH_SIZE };
if (require.main === module) main();
