// Google sign-in as the web app shows it: the button appears only when the server has
// Google configured, a failed attempt is explained, and a new account confirms 18+ first.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

async function browse(stack) {
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  return { page, errors: watchConsole(page) };
}

test("without Google configured there is no Google button", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const { page, errors } = await browse(stack);
  await page.goto(stack.url + "/login");
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(await page.getByText("Continue with Google").count(), 0);
  assert.deepEqual(errors, []);
});

test("with Google configured: the button, a cancelled attempt, the 18+ step of a new account", async () => {
  // The issuer is never contacted here: these pages only read the server's public config.
  const stack = await startStack({
    env: { ALLY_GOOGLE_CLIENT_ID: "client-id", ALLY_GOOGLE_CLIENT_SECRET: "client-secret", ALLY_GOOGLE_ISSUER_URL: "http://127.0.0.1:9/" },
  });
  cleanups.push(() => stack.stop());
  const { page, errors } = await browse(stack);

  await page.goto(stack.url + "/login?error=google_cancelled");
  const button = page.getByRole("link", { name: "Continue with Google" });
  await button.waitFor();
  assert.equal(await button.getAttribute("href"), "/api/v1/auth/google/start");
  await page.getByText("Google sign-in was cancelled.").waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "22-google-sign-in");

  await page.goto(stack.url + "/auth/google?kind=signup&code=stale-code");
  const create = page.getByRole("button", { name: "Create account" });
  assert.equal(await create.isDisabled(), true, "a new account waits for the 18+ confirmation");
  await page.getByLabel("I confirm that I am 18 years of age or older.").check();
  assert.deepEqual(await axe(page), []);
  await create.click();
  // The code is not a real grant: the server refuses it and the page says what to do.
  await page.getByRole("alert").getByText(/start again/).waitFor();
  await page.getByRole("link", { name: "Back to sign in" }).waitFor();
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
});
