// Settings > Telegram: link a chat in one tap (deep link and QR code) against the fake Bot
// API in polling mode, talk there with the reply arriving in the chat and the conversation
// showing on the web with a Telegram badge, then unlink from the web (the chat is told).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { axe, freePort, launchBrowser, repo, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const botToken = "123456:e2e-fake";

async function startFakeTelegram() {
  const bin = join(repo, "test-artifacts", "bin", "faketelegram");
  execFileSync("go", ["build", "-o", bin, "./cmd/faketelegram"], { cwd: repo, stdio: "inherit" });
  const port = await freePort();
  const proc = spawn(bin, ["-addr", `127.0.0.1:${port}`, "-token", botToken, "-username", "ally_e2e_bot"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url + "/_fake/calls");
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    send: async (chatId, text) => (await fetch(url + "/_fake/send", { method: "POST", body: JSON.stringify({ chat_id: chatId, text }) })).json(),
    sent: async (chatId) => (await fetch(url + "/_fake/sent?chat_id=" + chatId)).json(),
    stop: () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once("exit", r), proc.kill("SIGTERM")))),
  };
}

async function waitUntil(what, fn) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("link Telegram from Settings, chat there, see it on the web, unlink", async () => {
  const tg = await startFakeTelegram();
  cleanups.push(() => tg.stop());
  const stack = await startStack({
    env: { ALLY_TELEGRAM_BOT_TOKEN: botToken, ALLY_TELEGRAM_API_URL: tg.url, ALLY_TELEGRAM_MODE: "polling" },
  });
  cleanups.push(() => stack.stop());
  const token = await stack.signUp("tg@example.com");

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);

  await page.goto(stack.url + "/settings/telegram");
  await page.getByRole("heading", { name: "Telegram", exact: true }).waitFor();
  await page.getByText("Not linked.").waitFor();
  assert.deepEqual(await axe(page), []);

  await page.getByRole("button", { name: "Link Telegram" }).click();
  const open = page.getByRole("link", { name: "Open Telegram" });
  await open.waitFor();
  const href = await open.getAttribute("href");
  assert.match(href, /^https:\/\/t\.me\/ally_e2e_bot\?start=[\w-]{20,64}$/);
  const qr = page.getByRole("img", { name: "QR code of the Telegram link" });
  await qr.waitFor();
  assert.ok((await qr.locator("path").getAttribute("d")).length > 100, "the QR code has modules");
  assert.deepEqual(await axe(page), []);
  await shot(page, "70-telegram-link");

  // The user taps the link on their phone: Telegram sends /start <token> to the bot.
  const chatId = 424242;
  await tg.send(chatId, "/start " + href.split("start=")[1]);
  await page.getByText("Telegram is linked.").waitFor();
  await page.getByText("to @user424242").waitFor();
  const linked = await waitUntil("the confirmation", async () => (await tg.sent(chatId)).find((m) => m.Text.startsWith("Linked!")));
  assert.ok(linked);
  await shot(page, "71-telegram-linked");

  // A message in Telegram is answered there and shows on the web, marked as Telegram's.
  await tg.send(chatId, "Plan my week please");
  await waitUntil("the reply in Telegram", async () => (await tg.sent(chatId)).some((m) => m.Text.includes("You said: Plan my week please")));
  await page.goto(stack.url + "/");
  const item = page.locator(".conv-item").filter({ hasText: "Telegram" });
  await item.locator(".channel-badge").waitFor();
  await item.locator("a").click();
  await page.getByText("Plan my week please", { exact: true }).waitFor();
  assert.deepEqual(await axe(page), []);

  // Unlink from the web: the page says so and the chat is told.
  await page.goto(stack.url + "/settings/telegram");
  await page.getByRole("button", { name: "Unlink Telegram" }).click();
  await page.getByText("Telegram is unlinked.").waitFor();
  await page.getByText("Not linked.").waitFor();
  await waitUntil("the notice in the chat", async () => (await tg.sent(chatId)).some((m) => m.Text.includes("was unlinked")));
  assert.deepEqual(errors, []);
});
