// Settings > Privacy: what is held, the export as a real download, deleting the account
// with the password, and recovering it from the sign-in page with everything intact.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test("see the data held, download it, delete the account and recover it", async () => {
  const email = "grace@example.com";
  const password = "correct horse battery staple";
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

  // A conversation in which the assistant saves something to memory.
  await page.goto(stack.url + "/");
  const box = page.getByLabel("Message", { exact: true });
  await box.fill("Please remember that I drink green tea every morning");
  await box.press("Enter");
  await page.waitForURL(/\/c\//);
  await page.locator(".msg-assistant:last-child .msg-actions").waitFor({ timeout: 30_000 });
  const conversationURL = page.url();
  const conversationId = conversationURL.split("/c/")[1];

  // What is held: every kind of data with its count and how long it is kept.
  await page.goto(stack.url + "/settings/privacy");
  await page.getByRole("heading", { name: "Data we hold about you" }).waitFor();
  const kinds = page.getByRole("list", { name: "Kinds of data" });
  await kinds.waitFor();
  const row = (title) => kinds.locator(".row").filter({ has: page.locator(".row-title", { hasText: new RegExp(`^${title}$`) }) });
  assert.equal(await row("Conversations").locator(".data-count").innerText(), "1");
  assert.equal(await row("Messages").locator(".data-count").innerText(), "2");
  assert.equal(await row("Memory files").locator(".data-count").innerText(), "1");
  assert.match(await row("Sign-in history").innerText(), /Kept 90 days\./);
  assert.match(await row("Feedback").innerText(), /Kept 12 months\./);
  assert.match(await row("Messages").innerText(), /Kept while you have an account\./);
  await page.getByText("You can change your mind for 30 days").waitFor();
  // Who processed it: the model provider that answered, with what it received. Mail stayed
  // in Ally's own outbox, so no email service is listed.
  const parties = page.getByRole("list", { name: "Services that processed your data" });
  assert.equal(await parties.locator(".row").count(), 1);
  assert.match(await parties.innerText(), /Anthropic\s+Received chat messages and context\./);
  assert.deepEqual(await axe(page), []);
  await shot(page, "30-privacy");

  await page.setViewportSize({ width: 360, height: 780 });
  await page.reload();
  await kinds.waitFor();
  assert.deepEqual(await axe(page), [], "no serious violation at 360 px");
  await shot(page, "31-privacy-360");
  await page.getByRole("heading", { name: "Delete your account" }).scrollIntoViewIfNeeded();
  await shot(page, "32-privacy-360-delete");
  await page.setViewportSize({ width: 1280, height: 800 });

  // The export is a real file download holding the conversation and the memory file.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download my data" }).click()]);
  assert.match(download.suggestedFilename(), /^ally-export-\d{4}-\d{2}-\d{2}\.json$/);
  const doc = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(doc.format_version, 3);
  assert.equal(doc.complete, true);
  assert.equal(doc.profile.email, email);
  assert.deepEqual(doc.conversations.map((c) => c.id), [conversationId]);
  assert.ok(doc.messages.some((m) => m.role === "user" && m.content.includes("green tea every morning")), "the user's message is exported");
  assert.ok(doc.memory_files.some((f) => f.content.includes("green tea")), "the memory file is exported");
  await page.getByText(/^Saved ally-export-\d{4}-\d{2}-\d{2}\.json \(\d+(\.\d)? KB\)\.$/).waitFor();
  await shot(page, "33-privacy-exported");

  // Deleting asks for the password and explains the recovery window.
  await page.getByRole("button", { name: "Delete my account…" }).click();
  await page.getByText("For 30 days you can recover everything").waitFor();
  const confirm = page.getByRole("button", { name: "Delete my account", exact: true });
  assert.equal(await confirm.isDisabled(), true, "deleting waits for the password");
  const errorsBeforeWrongPassword = errors.length;
  await page.getByLabel("Current password").fill("not my password");
  await confirm.click();
  await page.locator(".field-error").waitFor();
  assert.ok(errors.splice(errorsBeforeWrongPassword).every((e) => /status of 400/.test(e)));
  assert.equal(new URL(page.url()).pathname, "/settings/privacy", "a wrong password deletes nothing");
  assert.deepEqual(await axe(page), []);
  await shot(page, "34-privacy-delete-confirm");

  await page.getByLabel("Current password").fill(password);
  await confirm.click();
  await page.waitForURL(/\/login\?deleted=/);
  await page.getByText("Your account is deleted and you are signed out.").waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("ally.token")), null, "signed out");
  const old = await fetch(stack.url + "/api/v1/me", { headers: { Authorization: "Bearer " + token } });
  assert.equal(old.status, 401, "the session ended on the server too");
  assert.ok(stack.mail().some((m) => String(m.to).includes(email) && /delet/i.test(String(m.subject))), "a confirmation email was sent");
  await shot(page, "35-signed-out-after-delete");

  // Signing in offers recovery, with the date the account will be purged.
  const errorsBeforeDeletedLogin = errors.length;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Recover your account?" }).waitFor();
  assert.match(await page.locator(".auth-card").innerText(), /permanently deleted on .*\d{4}/);
  assert.ok(errors.splice(errorsBeforeDeletedLogin).every((e) => /status of 403/.test(e)));
  assert.deepEqual(await axe(page), []);
  await shot(page, "36-recover");

  await page.getByRole("button", { name: "Recover my account" }).click();
  await page.getByLabel("Message", { exact: true }).waitFor();
  assert.ok(await page.evaluate(() => localStorage.getItem("ally.token")), "signed in again");
  await page.goto(conversationURL);
  await page.locator(".msg-user").getByText("Please remember that I drink green tea every morning").waitFor();
  await page.locator(".msg-assistant:last-child .msg-actions").waitFor();
  await shot(page, "37-recovered-conversation");
  assert.deepEqual(errors, []);
});
