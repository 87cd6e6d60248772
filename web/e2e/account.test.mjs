// Changing the email address from Settings > Profile: the new address is confirmed through
// the link sent to it, and only then replaces the old one.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test("change the email address, confirmed by the link sent to the new one", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const password = "correct horse battery staple";
  const token = await stack.signUp("old.address@example.com", password);
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
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
