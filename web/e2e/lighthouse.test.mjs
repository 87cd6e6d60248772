// Lighthouse on the chat page of a real `ally serve`, signed in: accessibility and best
// practices must score at least 95. Offline, headless, Debian's Chromium; the session
// token is put in localStorage first and Lighthouse is told not to clear storage.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";
import { freePort, startStack } from "./harness.mjs";

let stack, context, profile, port;
before(async () => {
  stack = await startStack();
  port = await freePort();
  profile = mkdtempSync(join(tmpdir(), "ally-lighthouse-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", `--remote-debugging-port=${port}`],
  });
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await stack?.stop();
});

const minimum = { accessibility: 95, "best-practices": 95 };

test("Lighthouse: the signed-in chat page scores at least 95 in accessibility and best practices", async () => {
  const token = await stack.signUp("lighthouse@example.com");
  // A conversation with a reply, so the page audited is a real chat.
  const conv = await (await fetch(stack.url + "/api/v1/conversations", { method: "POST", headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" }, body: "{}" })).json();
  const res = await fetch(stack.url + `/api/v1/conversations/${conv.id}/messages`, { method: "POST", headers: { Authorization: "Bearer " + token, "Content-Type": "application/json", Accept: "text/event-stream" }, body: JSON.stringify({ content: "Write a short list with some code" }) });
  await res.text();
  const page = await context.newPage();
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);

  const url = `${stack.url}/c/${conv.id}`;
  const result = await lighthouse(
    url,
    { port, output: "json", logLevel: "error", onlyCategories: Object.keys(minimum), disableStorageReset: true, formFactor: "desktop", screenEmulation: { mobile: false, width: 1280, height: 800, deviceScaleFactor: 1, disabled: false }, throttlingMethod: "provided" },
  );
  const lhr = result.lhr;
  const scores = Object.fromEntries(Object.keys(minimum).map((k) => [k, Math.round((lhr.categories[k]?.score ?? 0) * 100)]));
  console.log(`Lighthouse on ${new URL(lhr.finalDisplayedUrl).pathname}: accessibility ${scores.accessibility}, best practices ${scores["best-practices"]}`);
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
    .map((a) => `${a.id}: ${a.title}`);
  if (failing.length) console.log("Audits below full marks:\n  " + failing.join("\n  "));
  assert.match(lhr.finalDisplayedUrl, /\/c\//, "the audit ran on the signed-in chat page, not the sign-in page");
  for (const [k, min] of Object.entries(minimum)) assert.ok(scores[k] >= min, `${k} ${scores[k]} < ${min}`);
  await page.close();
});
