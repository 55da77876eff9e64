// Runs the portable tests (host_tests/portable/test_*.py) under real MicroPython: the
// WebAssembly port from npm.  Copies firmware/ and the tests into the port's in-memory
// filesystem, calls every test_* function, prints one line per failure with its traceback
// and a closing "N passed, N failed" line; exits 1 on any failure or Python exception.
//
// usage: node tools/mp_test.mjs [test_module.py ...]
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");

export async function loadPort(heapsize = 2 * 1024 * 1024) {
  let out = "";
  const mp = await loadMicroPython({
    heapsize,
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
    linebuffer: true,
  });
  copyTree(mp, path.join(root, "firmware"), "/firmware");
  copyTree(mp, path.join(root, "host_tests", "portable"), "/tests");
  // Fake hardware (tools/fake*.py) is shared by the tests and the simulator; tools/devkeys.py
  // holds the development key the tests use (never in firmware/).
  for (const name of fs.readdirSync(path.join(root, "tools"))) {
    if ((name.startsWith("fake") && name.endsWith(".py")) || name === "devkeys.py") {
      mp.FS.writeFile("/tests/" + name, fs.readFileSync(path.join(root, "tools", name)));
    }
  }
  mp.runPython("import sys\nsys.path.insert(0, '/tests')\nsys.path.insert(0, '/firmware')");
  return mp;
}

function copyTree(mp, src, dst) {
  mp.FS.mkdirTree(dst);
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    if (entry.name === "__pycache__") continue;
    const s = path.join(src, entry.name);
    const d = dst + "/" + entry.name;
    if (entry.isDirectory()) copyTree(mp, s, d);
    else if (entry.name.endsWith(".py")) mp.FS.writeFile(d, fs.readFileSync(s));
  }
}

const RUNNER = `
import sys
def _run_module(name):
    passed = 0
    failed = 0
    mod = __import__(name)
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        fn = getattr(mod, attr)
        if not callable(fn):
            continue
        try:
            fn()
            passed += 1
        except Exception as e:
            failed += 1
            print("FAILED %s::%s" % (name, attr))
            sys.print_exception(e)
    return passed, failed
`;

async function main() {
  let modules = process.argv.slice(2);
  if (modules.length === 0) {
    modules = fs.readdirSync(path.join(root, "host_tests", "portable"))
      .filter((n) => n.startsWith("test_") && n.endsWith(".py")).sort();
  }
  const mp = await loadPort();
  mp.runPython(RUNNER);
  let passed = 0, failed = 0;
  for (const file of modules) {
    const name = path.basename(file, ".py");
    try {
      mp.runPython(`_p, _f = _run_module(${JSON.stringify(name)})`);
      const p = mp.globals.get("_p"), f = mp.globals.get("_f");
      console.log(`${name}: ${p} passed, ${f} failed`);
      passed += p; failed += f;
    } catch (e) {
      // An exception outside any test (import error, syntax MicroPython rejects) fails the run.
      console.log(`ERROR ${name}: ${e.message}`);
      failed += 1;
    }
  }
  console.log(`micropython: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === url.fileURLToPath(import.meta.url)) {
  await main();
}
