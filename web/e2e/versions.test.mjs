// Reply versions and titles in the browser: regenerate keeps the earlier reply behind a
// "‹ 1 / 2 ›" switcher, editing an earlier message forks the conversation with the switcher
// on that message, the branch shown survives a reload, and the small model's title
// replaces the raw first message in the sidebar. Desktop and 360 px, light and dark, axe
// clean.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

let stack;
let browser;
let page;
let consoleErrors;

before(async () => {
  stack = await startStack({ fakeArgs: ["-ttft", "50ms", "-tps", "200", "-words", "30"] });
  const token = await stack.signUp(`versions.${Date.now()}@example.com`);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  consoleErrors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

const violations = [];
async function audit(name) {
  for (const v of await axe(page)) violations.push({ page: name, ...v });
  await shot(page, name);
}

const replies = () => page.locator(".msg-assistant");
const userMessages = () => page.locator(".msg-user");

async function waitReplyDone() {
  await page.locator(".msg-assistant:last-child .msg-actions").waitFor({ timeout: 30_000 });
  await page.locator(".send-btn.stop").waitFor({ state: "detached", timeout: 30_000 });
}

async function send(text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
  await waitReplyDone();
}

/** versionOf reads the "n / m" of a message's switcher. */
const versionOf = (loc) => loc.locator(".versions-count").innerText();

test("the small model's title replaces the first message in the sidebar", async () => {
  await page.goto(stack.url + "/");
  await send("Plan a picnic by the river this weekend");
  await page.waitForURL(/\/c\//);
  // The fake's title: the first four words of more than three letters.
  await page.locator(".conv-item.active").getByText("Plan picnic river this", { exact: true }).waitFor();
  assert.equal(await page.locator(".conv-item.active").getByText("Plan a picnic by the river this weekend").count(), 0);
});

test("regenerate keeps the earlier reply behind a 2 / 2 switcher", async () => {
  await send("What should I bring along?");
  // Mark the first version so it can be recognised (the fake answers alike).
  await replies().last().getByRole("button", { name: "Good reply" }).click();
  await page.waitForFunction(() => document.querySelector(".msg-assistant:last-child [aria-label='Good reply']")?.getAttribute("aria-pressed") === "true");
  assert.equal(await replies().last().locator(".versions").count(), 0, "one version: no switcher");

  await replies().last().getByRole("button", { name: "Regenerate reply" }).click();
  await waitReplyDone();
  await replies().last().locator(".versions").waitFor();
  assert.equal(await versionOf(replies().last()), "2 / 2");
  assert.equal(await replies().last().getByRole("button", { name: "Good reply" }).getAttribute("aria-pressed"), "false");
  assert.match(await replies().last().locator(".markdown").innerText(), /^You said: What should I bring along\?/);
  assert.equal(await replies().count(), 2);
  await audit("80-versions-regenerated");

  await replies().last().getByRole("button", { name: "Previous version" }).click();
  await page.waitForFunction(() => document.querySelector(".msg-assistant:last-child .versions-count")?.textContent?.trim() === "1 / 2");
  assert.equal(await replies().last().getByRole("button", { name: "Good reply" }).getAttribute("aria-pressed"), "true", "the earlier reply is back");
  assert.equal(await replies().last().getByRole("button", { name: "Previous version" }).isDisabled(), true);

  await page.reload();
  await waitReplyDone();
  assert.equal(await versionOf(replies().last()), "1 / 2", "the version shown survives a reload");
  assert.equal(await replies().last().getByRole("button", { name: "Good reply" }).getAttribute("aria-pressed"), "true");
});

test("editing an earlier message forks, with the switcher on that message", async () => {
  const first = userMessages().first();
  await first.hover();
  await first.getByRole("button", { name: "Edit message" }).click();
  await page.getByLabel("Edit your message").fill("Plan a picnic in the park instead");
  await page.getByRole("button", { name: "Save and send" }).click();
  await waitReplyDone();
  assert.equal(await userMessages().count(), 1, "the fork starts at the edited message");
  assert.equal(await userMessages().first().locator(".bubble").innerText(), "Plan a picnic in the park instead");
  assert.equal(await versionOf(userMessages().first()), "2 / 2");
  assert.match(await replies().last().locator(".markdown").innerText(), /^You said: Plan a picnic in the park instead/);
  await audit("81-versions-forked");

  await page.reload();
  await waitReplyDone();
  assert.equal(await userMessages().count(), 1, "the fork survives a reload");
  assert.equal(await versionOf(userMessages().first()), "2 / 2");

  // Back to the first version: the whole earlier branch, as it was last shown.
  await userMessages().first().getByRole("button", { name: "Previous version" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".msg-user").length === 2);
  assert.equal(await versionOf(userMessages().first()), "1 / 2");
  assert.equal(await versionOf(replies().last()), "1 / 2");
  assert.equal(await replies().last().getByRole("button", { name: "Good reply" }).getAttribute("aria-pressed"), "true");
  // The title stays the one the model wrote.
  await page.locator(".conv-item.active").getByText("Plan picnic river this", { exact: true }).waitFor();
});

test("the switchers fit and pass axe at 360 px, light and dark", async () => {
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const url = page.url();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  await waitReplyDone();
  assert.ok(await fits(), "the conversation fits at 360 px");
  await replies().last().locator(".versions").waitFor();
  await audit("82-versions-mobile-light");

  await page.goto(stack.url + "/settings/appearance");
  await page.getByLabel("Dark").check();
  await page.goto(url);
  await waitReplyDone();
  assert.ok(await fits(), "the conversation fits at 360 px in dark");
  await audit("83-versions-mobile-dark");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.reload();
  await waitReplyDone();
  await audit("84-versions-desktop-dark");
  await page.goto(stack.url + "/settings/appearance");
  await page.getByLabel("Light").check();
  await page.goto(url);
  await waitReplyDone();
  await audit("85-versions-desktop-light");

  assert.deepEqual(violations, [], "axe finds no serious or critical problem");
  assert.deepEqual(consoleErrors, [], "no console errors");
});
