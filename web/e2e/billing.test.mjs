// Billing: the public pricing page, Settings > Billing, upgrading through (fake) Stripe
// Checkout with the plan changing when the webhook arrives, and cancelling in the
// Customer Portal. The fake Stripe (cmd/fakestripe) speaks Stripe's API and serves the
// hosted pages, delivering signed webhooks to Ally like Stripe does.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { axe, freePort, launchBrowser, repo, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const plans = JSON.stringify([
  { id: "free", name: "Free", limits: { messages_per_day: 50, active_tasks: 1 } },
  { id: "pro", name: "Pro", stripe_price: "price_pro", limits: { messages_per_day: 600, active_tasks: 25 } },
]);

async function startFakeStripe() {
  const bin = join(repo, "test-artifacts", "bin", "fakestripe");
  execFileSync("go", ["build", "-o", bin, "./cmd/fakestripe"], { cwd: repo, stdio: "inherit" });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ["-addr", `127.0.0.1:${port}`, "-prices", "price_pro=1200", "-webhook-secret", "whsec_e2e"], { stdio: "inherit" });
  cleanups.push(async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
    }
  });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url + "/checkout/none");
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("fakestripe did not start");
}

test("pricing page, upgrade through Checkout, cancel in the Portal", async () => {
  const stripe = await startFakeStripe();
  const stack = await startStack({
    env: { ALLY_STRIPE_SECRET_KEY: "sk_test_e2e", ALLY_STRIPE_WEBHOOK_SECRET: "whsec_e2e", ALLY_STRIPE_API_URL: stripe, ALLY_PLANS: plans },
  });
  cleanups.push(() => stack.stop());
  const res = await fetch(stripe + "/_webhook", { method: "POST", body: JSON.stringify({ url: stack.url + "/webhooks/stripe" }) });
  assert.equal(res.status, 204);
  const token = await stack.signUp("ada@example.com");

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);

  // The pricing page is public: plans and Stripe's price, no token needed.
  await page.goto(stack.url + "/pricing");
  await page.getByRole("heading", { name: "Pro" }).waitFor();
  await page.getByText("$12.00 / month").waitFor();
  await page.getByText("600 messages a day").waitFor();
  assert.ok(await page.getByRole("link", { name: "Sign up" }).isVisible());
  assert.deepEqual(await axe(page), []);
  await shot(page, "80-pricing");

  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await page.goto(stack.url + "/settings/billing");
  await page.getByRole("heading", { name: "Your plan" }).waitFor();
  assert.equal(await page.getByTestId("billing-plan").innerText(), "Free");
  assert.equal(await page.getByTestId("billing-status").innerText(), "No subscription");
  assert.equal(await page.getByRole("button", { name: "Manage billing" }).count(), 0);
  assert.deepEqual(await axe(page), []);
  await shot(page, "81-billing-free");

  // Upgrade: Ally sends the browser to Checkout; paying there comes back with the plan changed.
  await page.getByRole("button", { name: /Upgrade to Pro/ }).click();
  await page.waitForURL(stripe + "/checkout/**");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.waitForURL(stack.url + "/settings/billing?checkout=success");
  await page.getByText("Thank you!").waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="billing-plan"]')?.textContent === "Pro");
  assert.match(await page.getByTestId("billing-status").innerText(), /^Renews on /);
  assert.equal(await page.getByRole("button", { name: /Upgrade to/ }).count(), 0, "no second checkout once subscribed");
  await page.getByText("25 active scheduled tasks").waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "82-billing-pro");

  // The limits follow the plan at once.
  const usage = await (await fetch(stack.url + "/api/v1/usage", { headers: { Authorization: "Bearer " + token } })).json();
  assert.equal(usage.plan.id, "pro");

  // Manage: the Portal cancels at the period's end; the plan stays until then.
  await page.getByRole("button", { name: "Manage billing" }).click();
  await page.waitForURL(stripe + "/portal/**");
  await page.getByRole("button", { name: "Cancel subscription" }).click();
  await page.waitForURL(stack.url + "/settings/billing");
  await page.waitForFunction(() => /^Ends on /.test(document.querySelector('[data-testid="billing-status"]')?.textContent ?? ""));
  assert.equal(await page.getByTestId("billing-plan").innerText(), "Pro");
  await shot(page, "83-billing-cancelled");

  assert.deepEqual(errors, []);
});
