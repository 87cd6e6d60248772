// Settings that change the account: profile, password, assistant preferences, other
// sessions, and the email address (confirmed through the link sent to the new one).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/** signedIn starts a server and a browser signed in as a new, confirmed account. */
async function signedIn(email, password) {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const token = await stack.signUp(email, password);
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  return { stack, page, errors };
}

test("change the email address, confirmed by the link sent to the new one", async () => {
  const password = "correct horse battery staple";
  const { stack, page, errors } = await signedIn("old.address@example.com", password);
  await page.goto(stack.url + "/settings/profile");

  const profile = page.getByRole("region", { name: "Profile" });
  await profile.getByLabel("Email").fill("new.address@example.com");
  await profile.getByLabel("Current password").fill(password);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("We sent a link to new.address@example.com").waitFor();
  await page.getByText("Waiting for confirmation of new.address@example.com.").waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "23-email-change-pending");

  const mail = stack.mail().find((m) => String(m.to).includes("new.address@example.com"));
  assert.ok(mail, "the new address got a confirmation link");
  await page.goto(String(mail.text).match(/https?:\/\/\S+\/verify-email\?token=[\w-]+/)[0]);
  await page.getByText("Your email address is confirmed.").waitFor();
  await page.goto(stack.url + "/settings/profile");
  await page.getByText("Confirmed.").waitFor();
  assert.equal(await page.getByLabel("Email").inputValue(), "new.address@example.com");
  assert.deepEqual(errors, []);
});

test("profile, password, assistant preferences and other sessions", async () => {
  const email = "ada@example.com";
  const password = "correct horse battery staple";
  const newPassword = "a brand new passphrase";
  const { stack, page, errors } = await signedIn(email, password);
  await page.goto(stack.url + "/settings/profile");
  await page.getByLabel("Name", { exact: true }).fill("Ada King");
  await page.getByLabel("Timezone").selectOption("Europe/London");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Saved.").waitFor();

  const pw = page.getByRole("region", { name: "Password" });
  await pw.getByLabel("Current password").fill(password);
  await pw.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Password changed.").waitFor();

  await page.getByRole("link", { name: "Assistant" }).click();
  await page.getByLabel("Assistant name").fill("Jarvis");
  await page.getByLabel("Tone and instructions").fill("Warm and brief.");
  await page.getByText("Short", { exact: true }).click();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved.").waitFor();

  await page.reload();
  assert.equal(await page.getByLabel("Assistant name").inputValue(), "Jarvis");
  assert.equal(await page.getByLabel("Tone and instructions").inputValue(), "Warm and brief.");
  assert.equal(await page.getByLabel("Short").isChecked(), true);
  await page.getByRole("link", { name: "Profile" }).click();
  await page.getByRole("heading", { name: "Profile" }).waitFor();
  assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Ada King");
  assert.equal(await page.getByLabel("Timezone").inputValue(), "Europe/London");

  // Another device signs in; it is listed, and signing it out here ends its session.
  const other = await fetch(stack.url + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1" },
    body: JSON.stringify({ email, password: newPassword }),
  }).then((r) => r.json());
  await page.getByRole("link", { name: "Security" }).click();
  const row = page.locator(".row", { hasText: "Safari on iOS" });
  await row.getByRole("button", { name: "Sign out" }).click();
  await row.waitFor({ state: "detached" });
  const me = await fetch(stack.url + "/api/v1/me", { headers: { Authorization: "Bearer " + other.token } });
  assert.equal(me.status, 401, "the revoked session no longer works");
  assert.deepEqual(await axe(page), []);
  await shot(page, "24-security-after-revoke");
  assert.deepEqual(errors, []);
});
