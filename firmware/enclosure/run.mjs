// Run MicroPython code on the real interpreter (the npm webassembly port, MicroPython
// 1.27) from Node, with exit codes: its own CLI prints errors and exits 0, which a test
// cannot tell from success.
//
//   node run.mjs [--path DIR]... SCRIPT.py      run a script: exit 0, SystemExit's code,
//                                               or 1 with the traceback on stderr
//   node run.mjs [--path DIR]... --serve MODULE  the simulator's controller: each stdin
//                                               line goes to MODULE.command(line); every
//                                               TICK_MS MODULE.tick() runs and what it
//                                               returns is written to stdout
//
// Each --path directory's .py and .mpy files are copied into the interpreter's in-memory
// filesystem and put on sys.path, in order.
import { readFileSync, readdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { basename, join } from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const TICK_MS = 2;

function usage() {
  process.stderr.write("usage: node run.mjs [--path DIR]... (SCRIPT.py | --serve MODULE)\n");
  process.exit(2);
}

const args = process.argv.slice(2);
const paths = [];
let script = null;
let serve = null;
while (args.length) {
  const arg = args.shift();
  if (arg === "--path" && args.length) paths.push(args.shift());
  else if (arg === "--serve" && args.length) serve = args.shift();
  else if (!arg.startsWith("--") && script === null) script = arg;
  else usage();
}
if ((script === null) === (serve === null)) usage();

let stderrText = "";
const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => {
    stderrText += line + "\n";
    process.stderr.write(line + "\n");
  },
});
paths.forEach((dir, index) => {
  const target = `/p${index}`;
  mp.FS.mkdir(target);
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".py") || name.endsWith(".mpy")) {
      mp.FS.writeFile(`${target}/${name}`, readFileSync(join(dir, name)));
    }
  }
});
mp.FS.mkdir("/flash");
mp.registerJsModule("node_random", { hex: (count) => randomBytes(count).toString("hex") });
const setup = `import sys\nsys.path[:0] = ${JSON.stringify(paths.map((_, i) => `/p${i}`))}\n`;

function exitCodeOf(error) {
  // A PythonError's message is the traceback; SystemExit's code is on its last line.
  const text = String(error && error.message ? error.message : error);
  const exit = text.match(/SystemExit: (-?\d+)\s*$/);
  if (exit) return Number(exit[1]);
  if (/SystemExit\s*$/.test(text)) return 0;
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
  return 1;
}

if (script !== null) {
  let code = 0;
  try {
    mp.runPython(setup + `sys.argv[:] = [${JSON.stringify(basename(script))}]\n`);
    mp.runPython(readFileSync(script, "utf8"));
  } catch (error) {
    code = exitCodeOf(error);
  }
  process.exit(code);
}

let module;
try {
  mp.runPython(setup);
  module = mp.pyimport(serve);
  module.start();
} catch (error) {
  process.exit(exitCodeOf(error) || 1);
}
function fail(error) {
  process.exit(exitCodeOf(error) || 1);
}
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  try {
    const reply = module.command(line);
    if (reply) process.stdout.write(reply);
  } catch (error) {
    fail(error);
  }
});
lines.on("close", () => process.exit(0));
setInterval(() => {
  try {
    const out = module.tick();
    if (out) process.stdout.write(out);
  } catch (error) {
    fail(error);
  }
}, TICK_MS);
