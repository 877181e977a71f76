// Builds the client: `tsc` (Debian's node-typescript) compiles src/ to dist/ (the ES module
// and its .d.ts), then web/tracker.js, the one-tag tracker the hub serves as it is, is put
// together from the same source (dist/tracker.js and dist/tracker-tag.js in one function
// scope: a classic <script> can load no module). `--check` writes nothing to web/ and fails
// if the committed web/tracker.js is not what the source makes.
//   node clients/js/build.mjs [--out DIR] [--check]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(here, "dist");
execFileSync("tsc", ["-p", here, "--outDir", out], { stdio: "inherit" });

/** The leading `//` lines of a compiled file, and the rest. */
function split(text) {
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length && (lines[i].startsWith("//") || lines[i] === "")) i++;
  return [lines.slice(0, i).join("\n").trim(), lines.slice(i)];
}
const [, core] = split(readFileSync(join(out, "tracker.js"), "utf8"));
const [header, tag] = split(readFileSync(join(out, "tracker-tag.js"), "utf8"));
const body = [...core.map((l) => l.replace(/^export /, "")), ...tag.filter((l) => !l.startsWith("import "))]
  .filter((l) => l.trim() !== "")
  .map((l) => "  " + l);
const tracker = [header, "(function () {", '  "use strict";', ...body, "})();", ""].join("\n");

const target = join(here, "..", "..", "web", "tracker.js");
if (args.includes("--check")) {
  if (readFileSync(target, "utf8") !== tracker) {
    console.error("web/tracker.js is not what clients/js/src makes: run node clients/js/build.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, tracker);
}
