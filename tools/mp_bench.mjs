// Runs tools/bench_mp.py under real MicroPython (the WebAssembly port) and passes its output
// through: one "name: value unit" line per measurement.  Used by `make bench`.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { loadPort } from "./mp_test.mjs";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");
const mp = await loadPort();
mp.FS.writeFile("/tests/bench_mp.py", fs.readFileSync(path.join(root, "tools", "bench_mp.py")));
try {
  mp.runPython("import bench_mp\nbench_mp.main()");
} catch (e) {
  console.log("ERROR " + e.message);
  process.exit(1);
}
