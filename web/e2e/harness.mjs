// Starts what the browser tests need: the ally binary on a fresh SQLite data directory,
// the fake model server it talks to, and Debian's Chromium driven by playwright-core.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "..", "..");
export const artifacts = join(repo, "test-artifacts", "web");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** freePort asks the kernel for a port nobody is listening on. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * build compiles the ally binary and the fake model server from this checkout into a
 * fixed directory, so later runs (and the other test files) reuse them when nothing changed.
 */
export function build(dir = join(repo, "test-artifacts", "bin")) {
  mkdirSync(dir, { recursive: true });
  const out = { ally: join(dir, "ally"), fakellm: join(dir, "fakellm") };
  execFileSync("go", ["build", "-o", out.ally, "./cmd/ally"], { cwd: repo, stdio: "inherit" });
  execFileSync("go", ["build", "-o", out.fakellm, "./cmd/fakellm"], { cwd: repo, stdio: "inherit" });
  return out;
}

async function waitFor(url, proc, what) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start at ${url}`);
}

function start(cmd, args, env, name, logs) {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (b) => logs.push(`[${name}] ${b}`);
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  return proc;
}

/**
 * startStack runs fakellm and `ally serve` on free ports with a temporary data
 * directory. fakeArgs are extra flags for the fake model (pace of replies).
 */
export async function startStack({ fakeArgs = [], env: extraEnv = {} } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "ally-e2e-"));
  const logs = [];
  const t0 = Date.now();
  const bin = build();
  logs.push(`[harness] binaries ready in ${Date.now() - t0} ms\n`);
  const llmPort = await freePort();
  const fake = start(bin.fakellm, ["-addr", `127.0.0.1:${llmPort}`, ...fakeArgs], {}, "fakellm", logs);
  const llmURL = `http://127.0.0.1:${llmPort}`;
  await waitFor(llmURL + "/", fake, "fakellm");

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ALLY_ADDR: `127.0.0.1:${port}`,
    ALLY_PUBLIC_URL: url,
    ALLY_DATA_DIR: join(tmp, "data"),
    ALLY_LOG_LEVEL: "warn",
    ALLY_BCRYPT_COST: "4",
    ANTHROPIC_BASE_URL: llmURL,
    ANTHROPIC_API_KEY: "e2e-test-key",
    OPENAI_API_KEY: "",
    GEMINI_API_KEY: "",
    ...extraEnv,
  };
  const ally = start(bin.ally, ["serve"], env, "ally", logs);
  await waitFor(url + "/readyz", ally, "ally serve");

  return {
    url,
    logs,
    /** signUp creates a confirmed account through the API and returns its session token. */
    async signUp(email, password = "correct horse battery staple", name = "Grace Hopper") {
      const call = async (path, body) => {
        const res = await fetch(url + "/api/v1" + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        return res.json();
      };
      await call("/auth/signup", { name, email, password, age_confirmed: true });
      const mail = this.mail().find((m) => String(m.to).includes(email));
      const token = String(mail?.text ?? "").match(/verify-email\?token=([\w-]+)/)?.[1];
      if (!token) throw new Error("no verification link for " + email);
      await call("/auth/verify-email", { token });
      return (await call("/auth/login", { email, password })).token;
    },
    /** cli runs an `ally` subcommand against this stack's data and returns its output. */
    cli(...args) {
      return execFileSync(bin.ally, args, { env: { ...process.env, ...env } }).toString();
    },
    /** mail returns the outbox as `ally mail list --json` prints it. */
    mail() {
      const out = execFileSync(bin.ally, ["mail", "list", "--json"], { env: { ...process.env, ...env } }).toString();
      const parsed = JSON.parse(out || "[]");
      return Array.isArray(parsed) ? parsed : (parsed.mails ?? parsed.messages ?? []);
    },
    async stop() {
      for (const p of [ally, fake]) {
        if (p.exitCode === null) {
          p.kill("SIGTERM");
          await new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", r)));
        }
      }
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** launchBrowser starts headless Chromium with a fresh profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "ally-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(join(here, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");

/**
 * axe runs axe-core in the page (evaluated, not injected as a script tag, which the
 * page's CSP would rightly refuse) and returns the serious and critical violations.
 */
export async function axe(page) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** watchConsole collects console errors and uncaught exceptions of a page. */
export function watchConsole(page) {
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
  return errors;
}

export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: false });
}
