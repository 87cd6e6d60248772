// Checks that the committed web/dist is exactly what web/src builds to, so the bundle in
// the binary cannot drift from its source (builds into a temporary directory and compares
// every file), and that the JavaScript a first visit loads stays within its budget.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** BUDGET is the most gzipped JavaScript index.html may load before the app runs. */
const BUDGET = 200 * 1024;

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(web, "dist");
const fresh = mkdtempSync(join(tmpdir(), "ally-web-dist-"));

function files(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

try {
  execFileSync(join(web, "node_modules", ".bin", "vite"), ["build", "--outDir", fresh, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: web,
    stdio: "inherit",
  });
  const want = files(fresh);
  const have = files(committed);
  const problems = [];
  for (const [name, body] of want) {
    if (!have.has(name)) problems.push(`missing from web/dist: ${name}`);
    else if (!have.get(name).equals(body)) problems.push(`differs from a fresh build: web/dist/${name}`);
  }
  for (const name of have.keys()) if (!want.has(name)) problems.push(`not produced by the build: web/dist/${name}`);
  if (problems.length) {
    console.error(problems.join("\n"));
    console.error("\nweb/dist is out of date with web/: run `make web` and commit web/dist.");
    process.exit(1);
  }
  console.log(`web/dist matches a fresh build (${want.size} files).`);

  // Initial JavaScript: the entry script and the modules it preloads.
  const html = have.get("index.html").toString();
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const size = initial.reduce((n, f) => n + gzipSync(have.get(f), { level: 9 }).length, 0);
  console.log(`initial JavaScript: ${(size / 1024).toFixed(1)} KB gzip (${initial.length} files; budget ${BUDGET / 1024} KB)`);
  if (size > BUDGET) {
    console.error("the initial JavaScript is over budget: load the heavy parts on demand (import())");
    process.exit(1);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
