// A newcomer's first minutes and the little things that break trust: the first account is
// told it is the admin, sign-up flags every empty field at once, an unknown address is a
// real 404 page, an ended session says so and comes back to the same page, the usage table
// fits; at 1280 and 360 px, light and dark, axe clean.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

let stack, browser;
before(async () => {
  stack = await startStack({ fakeArgs: ["-ttft", "0s", "-tps", "0"] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function page(w = 1280, scheme = "light") {
  const p = await browser.context.newPage();
  p.setDefaultTimeout(15_000);
  await p.setViewportSize({ width: w, height: w < 500 ? 740 : 800 });
  await p.emulateMedia({ colorScheme: scheme });
  return p;
}

test("the first account is told it is the admin; sign-up flags every empty field", async () => {
  const p = await page();
  const errors = watchConsole(p);
  await p.goto(stack.url + "/signup");
  await p.getByRole("button", { name: "Create account" }).press("Enter");
  for (const label of ["Name", "Email", "Password"]) {
    const input = p.getByLabel(label, { exact: true });
    assert.equal(await input.getAttribute("aria-invalid"), "true", `${label} is flagged`);
    const described = await input.getAttribute("aria-describedby");
    assert.ok(described && (await p.locator(`[id="${described.split(" ").pop()}"]`).innerText()).match(/^[A-Z].*\.$/), `${label} says why, as a sentence`);
  }
  assert.equal(await p.getByRole("checkbox").getAttribute("aria-invalid"), "true");
  assert.equal(await p.evaluate(() => document.activeElement?.getAttribute("autocomplete")), "name", "focus is on the first flagged field");
  assert.deepEqual(await axe(p), []);
  await shot(p, "70-signup-empty");

  await p.getByLabel("Name", { exact: true }).fill("Olive Operator");
  await p.getByLabel("Email", { exact: true }).fill("olive@example.com");
  await p.getByLabel("Password", { exact: true }).fill("correct horse battery staple");
  await p.getByRole("checkbox").check();
  await p.getByRole("button", { name: "Create account" }).click();
  await p.getByText("Yours is the first account on this server, so it is the admin.").waitFor();
  assert.deepEqual(await axe(p), []);
  await shot(p, "71-first-account-admin");
  const role = await p.evaluate(async () => (await (await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + localStorage.getItem("ally.token") } })).json()).role);
  assert.equal(role, "admin");
  assert.deepEqual(errors, []);
  await p.close();
});

test("an unknown address is a 404 page; unknown API paths answer JSON 404", async () => {
  for (const [w, scheme] of [[1280, "light"], [360, "dark"]]) {
    const p = await page(w, scheme);
    await p.goto(stack.url + "/no/such/page");
    await p.getByRole("heading", { name: "Page not found" }).waitFor();
    await p.getByRole("link", { name: /^Go to / }).waitFor();
    assert.deepEqual(await axe(p), []);
    await shot(p, `72-not-found-${w}-${scheme}`);
    await p.close();
  }
  const res = await fetch(stack.url + "/api/v1/no-such-endpoint");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
});

test("an ended session says so and signing in returns to the same page", async () => {
  const token = await stack.signUp("sam@example.com");
  const p = await page();
  const errors = watchConsole(p);
  await p.goto(stack.url + "/login");
  await p.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await p.goto(stack.url + "/settings/usage");
  await p.getByRole("heading", { name: "Usage" }).first().waitFor();
  // The session ends elsewhere (signed out on another device).
  await fetch(stack.url + "/api/v1/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + token } });
  await p.goto(stack.url + "/settings/security");
  await p.getByText("Your session ended. Sign in again.").waitFor();
  assert.deepEqual(await axe(p), []);
  await p.getByLabel("Email").fill("sam@example.com");
  await p.getByLabel("Password").fill("correct horse battery staple");
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL((u) => new URL(u).pathname === "/settings/security");
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);
  await p.close();
});

test("the usage table fits at 1280 and 360 px", async () => {
  const token = await stack.signUp("uma@example.com");
  const p = await page();
  await p.goto(stack.url + "/login");
  await p.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await p.goto(stack.url + "/");
  const box = p.getByPlaceholder("How can I help you today?");
  await box.fill("A question with a rather long first message so that the conversation title is long enough to wrap in the table");
  await box.press("Enter");
  await p.getByRole("button", { name: "Good reply" }).waitFor();
  for (const [w, scheme] of [[1280, "light"], [360, "dark"]]) {
    await p.setViewportSize({ width: w, height: 800 });
    await p.emulateMedia({ colorScheme: scheme });
    await p.goto(stack.url + "/settings/usage");
    const table = p.locator(".usage-table");
    await table.waitFor();
    const fits = await p.evaluate(() => {
      const wrap = document.querySelector(".usage-table")?.closest(".table-wrap");
      const cost = [...document.querySelectorAll(".usage-table th")].pop();
      if (!wrap || !cost) return "missing";
      const a = wrap.getBoundingClientRect(), b = cost.getBoundingClientRect();
      return wrap.scrollWidth <= wrap.clientWidth + 1 && b.right <= a.right + 1 && b.right <= window.innerWidth ? "fits" : `overflows: ${wrap.scrollWidth} > ${wrap.clientWidth}`;
    });
    assert.equal(fits, "fits", `usage table at ${w} px`);
    assert.deepEqual(await axe(p), []);
    await shot(p, `73-usage-${w}-${scheme}`);
  }
  await p.close();
});

test("a rate limit reads once, as a sentence, and counts down", async () => {
  const email = "rita@example.com";
  for (let i = 0; i < 3; i++) {
    await fetch(stack.url + "/api/v1/auth/password-reset", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email }) });
  }
  const p = await page(360, "dark");
  // Signed out: an earlier test of this file left a session in the browser profile.
  await p.goto(stack.url + "/login");
  await p.evaluate(() => localStorage.clear());
  await p.clock.install();
  await p.goto(stack.url + "/forgot-password");
  await p.getByLabel("Email").fill(email);
  await p.getByRole("button", { name: "Send reset link" }).click();
  const alert = p.getByRole("alert");
  await alert.waitFor();
  const shown = () => alert.locator("[aria-hidden=true]").innerText();
  const first = await shown();
  assert.match(first, /^Too many attempts\. Try again in \d{1,2}:\d\d\.$/, "one sentence with a countdown");
  assert.equal(first.match(/Try again/g)?.length, 1, "said once");
  assert.equal(await alert.locator(".sr-only").count(), 1, "screen readers hear one fixed sentence, not a tick a second");
  await p.clock.fastForward(3000);
  await p.waitForFunction((before) => document.querySelector("[role=alert] [aria-hidden=true]")?.textContent !== before, first);
  assert.match(await shown(), /^Too many attempts\. Try again in \d{1,2}:\d\d\.$/);
  assert.deepEqual(await axe(p), []);
  await shot(p, "74-rate-limit-countdown");
  await p.close();
});
