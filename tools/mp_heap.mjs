// Heap of the DEPLOY path under real MicroPython (the WebAssembly port, 32-bit like the
// boards): the firmware as `make firmware` builds it (.mpy files, build_firmware.py), loaded
// from the port's filesystem as a board loads them from flash, then the app booted on the fake
// drivers (tools/fake*.py) as firmware/main.py wires it.  Prints "name: value unit" lines for
// `make bench`.  The figures are what the firmware itself keeps on the heap: the fakes and the
// harness are measured apart and subtracted.
//
// The WebAssembly port keeps every copy of a module that was imported, released
// (meter/overlay.py) and imported again (seen: 7.5 KB a time for meter.core.record; the unix
// port and the chip free them), so "app objects" here overstate the board: the budget figures
// come from the emulated chip (tools/emu/chipbench.py).
//
// usage: node tools/mp_heap.mjs [build dir, default: builds rp2-pico into a temp dir]
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");

function copyTree(mp, src, dst, keep) {
  mp.FS.mkdirTree(dst);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (entry.name === "__pycache__") continue;
    const s = path.join(src, entry.name);
    const d = dst + "/" + entry.name;
    if (entry.isDirectory()) copyTree(mp, s, d, keep);
    else if (keep(entry.name)) mp.FS.writeFile(d, fs.readFileSync(s));
  }
}

let build = process.argv[2];
let tmp = null;
if (!build) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mpheap-"));
  tmp = out;
  execFileSync(path.join(root, ".venv", "bin", "python"),
               [path.join(root, "tools", "build_firmware.py"), "rp2-pico", "--out", out],
               { stdio: "ignore" });
  build = path.join(out, "rp2-pico");
}
async function port() {
  const mp = await loadMicroPython({
    heapsize: 1024 * 1024,
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
    linebuffer: true,
  });
  copyTree(mp, build, "/flash", (n) => n.endsWith(".mpy"));
  copyTree(mp, path.join(root, "host_tests", "portable"), "/tests", (n) => n.endsWith(".py"));
  for (const name of fs.readdirSync(path.join(root, "tools"))) {
    if ((name.startsWith("fake") && name.endsWith(".py")) || name === "devkeys.py") {
      mp.FS.writeFile("/tests/" + name, fs.readFileSync(path.join(root, "tools", name)));
    }
  }
  mp.runPython(PRELUDE);
  return mp;
}

// the harness first (fakes, test helpers compiled from source), so that it is not counted;
// then what firmware/main.py and meter/boardhw.py import, from .mpy files (boardhw itself needs
// machine; meter.console and meter.drivers.rtc_fallback load only when needed).  Each figure
// is taken in a fresh port: the collector is conservative, and garbage one measurement leaves
// pinned would show up in the next.
const PRELUDE = `
import gc, sys
sys.path[:] = ["/flash", "/tests"]

def used():
    gc.collect()
    gc.collect()
    return gc.mem_alloc()

import fakehw, fakefs, fakepins, fakei2c, fakeds3231, fakelcd, fakekeypad, fakewdt, devkeys
base = used()
for name in ("meter.app", "meter.usbserial", "meter.core.config", "meter.drivers.ds3231",
             "meter.drivers.indicators", "meter.drivers.keypad", "meter.drivers.lcd",
             "meter.drivers.relay", "meter.drivers.s0", "meter.drivers.watchdog",
             "meter.drivers.button", "meter.storage"):
    try:
        __import__(name)
    except ImportError:
        print("deploy path: no module %s in this build" % name)
code = used() - base
`;

let mp = await port();
mp.runPython(`
mods = sorted(k for k in sys.modules if k.startswith("meter"))
print("deploy path, firmware modules loaded from .mpy: %d bytes of heap (%d modules)"
      % (code, len(mods)))
import apprig
fb = used()
board0 = apprig.FakeBoard()
fake_board = used() - fb
del board0
before = used()
board, app = apprig.provisioned()
for _ in range(30):
    board.clock.advance(1000)
    app.control_step()
objects = used() - before - fake_board
print("deploy path, app objects after boot and 30 s: %d bytes of heap (the fake board's "
      "%d bytes not counted)" % (objects, fake_board))
print("deploy path, firmware heap in use (modules + objects): %d bytes" % (code + objects))
print("deploy path, note: this port does not free a module that meter/overlay.py released (each "
      "load of the record layout, the token decoder or the console reports stays on its heap), "
      "the unix port and the chip do; the budget is judged on the chip (tools/emu/chipbench.py)")
`);
mp = await port();
mp.runPython(`
cb = used()
import meter.console
print("deploy path, console protocol (meter.console), loaded for each console line and "
      "released after it on a board: +%d bytes while a line is answered" % (used() - cb))
`);
mp = await port();
mp.runPython(`
ob = used()
import meter.core.openpaygo
dec = meter.core.openpaygo.OpenPaygoDecoder(b"k" * 16, 1)
dec.table_reset()
print("deploy path, OpenPAYGO when configured (modules, one decoder with its value table in "
      "RAM, as while the table is advanced; between tokens a board parks it on flash): "
      "+%d bytes (loaded only then)" % (used() - ob))
`);
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
