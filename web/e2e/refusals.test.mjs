// What a person sees when a reply cannot start: the plan's daily limit (with its reset
// time) and a server with no model provider. Each runs its own server.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

async function open(stack, token) {
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await page.goto(stack.url + "/");
  await page.getByPlaceholder("How can I help you today?").waitFor();
  return { page, errors };
}

async function send(page, text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

test("over the daily message limit: the reset time is shown and the message kept", async () => {
  const plans = [{ id: "free", name: "Free", limits: { messages_per_day: 1, tokens_per_day: null } }];
  const stack = await startStack({ fakeArgs: ["-ttft", "0s", "-tps", "0"], env: { ALLY_PLANS: JSON.stringify(plans) } });
  cleanups.push(() => stack.stop());
  const { page, errors } = await open(stack, await stack.signUp("grace@example.com"));

  await send(page, "First message of the day");
  await page.locator(".msg-assistant .msg-actions").waitFor();
  await send(page, "One more, please");
  const alert = page.locator(".alert-warning");
  await alert.getByText("You have reached your plan's limit.").waitFor();
  assert.match(await alert.innerText(), /It resets at/);
  assert.equal(await alert.locator("time").count(), 1);
  assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "One more, please", "the refused message is back in the box");
  assert.equal(await page.locator(".msg-user").count(), 1, "the refused message is not shown as sent");
  assert.deepEqual(await axe(page), []);
  await shot(page, "20-quota-exceeded");
  // The refusal is a 429 the browser logs; nothing else may be.
  assert.deepEqual(errors.filter((e) => !/status of 429/.test(e)), []);
});

test("no model provider configured: the chat says so", async () => {
  const stack = await startStack({ env: { ANTHROPIC_API_KEY: "" } });
  cleanups.push(() => stack.stop());
  const { page, errors } = await open(stack, await stack.signUp("linus@example.com"));
  await send(page, "Hello?");
  await page.getByText("The assistant cannot answer yet.").waitFor();
  assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "Hello?");
  // The refused first message leaves no empty conversation behind.
  assert.equal(new URL(page.url()).pathname, "/");
  const token = await page.evaluate(() => localStorage.getItem("ally.token"));
  const list = await (await fetch(stack.url + "/api/v1/conversations", { headers: { Authorization: "Bearer " + token } })).json();
  assert.deepEqual(list.conversations ?? list.items ?? [], [], "no conversation was left behind");
  assert.equal(await page.locator(".conv-list li").count(), 0);
  assert.deepEqual(await axe(page), []);
  await shot(page, "21-no-provider");
  assert.deepEqual(errors.filter((e) => !/status of 503/.test(e)), []);
});
