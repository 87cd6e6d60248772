// The web app end to end, in a real browser against a real `ally serve` (SQLite) and the
// fake model server: the journey of a new user, and the app's quality bars on every page.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { artifacts, axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

let stack;
let browser;
let page;
let consoleErrors;
let errorsBeforeBadLogin = 0;
// Replies are WORDS words at 20 a second: slow enough to reload in the middle of one.
const WORDS = 80;
const email = `ada.${Date.now()}@example.com`;
const password = "correct horse battery staple";
const resetPassword = "reset by email link";

before(async () => {
  stack = await startStack({ fakeArgs: ["-ttft", "100ms", "-tps", "20", "-words", String(WORDS)] });
  mkdirSync(artifacts, { recursive: true });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  consoleErrors = watchConsole(page);
});

after(async () => {
  await browser?.close();
  if (stack) writeFileSync(join(artifacts, "server.log"), stack.logs.join(""));
  await stack?.stop();
});

const violations = [];
/** audit runs axe on the page as it is and keeps what it finds, named after the page. */
async function audit(name) {
  const found = await axe(page);
  for (const v of found) violations.push({ page: name, ...v });
  await shot(page, name);
}

const assistantMessages = () => page.locator(".msg-assistant");
const lastAssistant = () => assistantMessages().last();

/** waitReplyDone waits until the last reply finished streaming (its actions show). */
async function waitReplyDone() {
  await page.locator(".msg-assistant:last-child .msg-actions").waitFor({ timeout: 30_000 });
  await page.locator(".send-btn.stop").waitFor({ state: "detached", timeout: 30_000 });
}

async function send(text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

test("sign up, confirm the email through the outbox link", async () => {
  await page.goto(stack.url + "/");
  await page.waitForURL("**/login");
  await page.getByRole("heading", { name: "Welcome back" }).waitFor();
  await audit("01-sign-in");

  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  const create = page.getByRole("button", { name: "Create account" });
  await create.click();
  const adult = page.getByLabel("I confirm that I am 18 years of age or older.");
  assert.equal(await adult.getAttribute("aria-invalid"), "true", "sign-up waits for the 18+ confirmation");
  await adult.check();
  await audit("02-sign-up");
  await create.click();

  // Signed in but unverified: the chat says why it cannot start yet.
  await page.getByRole("heading", { name: /Good (morning|afternoon|evening), Ada/ }).waitFor();
  await page.getByText("Confirm your email address to start chatting.").waitFor();
  await audit("03-unverified");

  const mails = stack.mail().filter((m) => m.to === email || String(m.to).includes(email));
  assert.ok(mails.length > 0, "a verification email is in the outbox");
  const link = String(mails[0].text ?? mails[0].html).match(/https?:\/\/\S+\/verify-email\?token=[\w-]+/)?.[0];
  assert.ok(link, "the email holds a verification link");
  await page.goto(link);
  await page.getByText("Your email address is confirmed.").waitFor();
  await audit("04-verified");
  await page.getByRole("link", { name: "Start chatting" }).click();
  await page.getByPlaceholder("How can I help you today?").waitFor();
  assert.equal(await page.getByText("Confirm your email address to start chatting.").count(), 0);
});

test("chat: a reply streams in as markdown, feedback is kept", async () => {
  await send("Hello there, what can you do?");
  await page.waitForURL(/\/c\//);
  // While streaming, the text grows and the stop button is offered.
  await page.locator(".send-btn.stop").waitFor();
  const partial = await lastAssistant().locator(".markdown").textContent({ timeout: 10_000 }).catch(() => "");
  await waitReplyDone();
  const full = await lastAssistant().locator(".markdown").innerText();
  assert.match(full, /^You said: Hello there, what can you do\?/);
  assert.ok(full.split(/\s+/).length >= WORDS - 5, "the whole reply arrived");
  assert.ok((partial ?? "").length < full.length, "the reply was seen streaming before it completed");
  await audit("05-chat-reply");

  // The conversation is in the sidebar under a title.
  await page.locator(".conv-item.active").waitFor();

  // Thumbs down with a reason; still there after a reload.
  await lastAssistant().getByRole("button", { name: "Bad reply" }).click();
  await page.getByLabel("What went wrong? (optional)").fill("Too long for a greeting");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByLabel("What went wrong? (optional)").waitFor({ state: "detached" });
  await page.reload();
  await waitReplyDone();
  assert.equal(await lastAssistant().getByRole("button", { name: "Bad reply" }).getAttribute("aria-pressed"), "true");
});

test("model output cannot run script (sanitised markdown)", async () => {
  await send('Echo this: <img src="x" onerror="window.__pwned=1"> <script>window.__pwned=2</script> **bold** [link](javascript:alert(1))');
  await waitReplyDone();
  const reply = lastAssistant().locator(".markdown");
  assert.equal(await reply.locator("strong").first().innerText(), "bold");
  // Raw HTML is shown as the text it is, never as elements.
  assert.match(await reply.innerText(), /<img src="x" onerror=/);
  assert.equal(await reply.locator("img, script, [onerror]").count(), 0);
  assert.equal(await reply.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
});

test("the assistant saves to memory; the memory page shows it, with edit, history and revert", async () => {
  await send("Please remember that I drink green tea every morning");
  await waitReplyDone();
  const step = lastAssistant().locator("details.step");
  await step.locator("summary").waitFor();
  assert.match(await step.locator("summary").innerText(), /memory/i);
  assert.match(await step.locator("summary").innerText(), /saved to memory/);
  // Tool steps are collapsed until asked for.
  assert.equal(await step.getAttribute("open"), null);
  await step.locator("summary").click();
  assert.match(await step.locator(".step-body").innerText(), /green tea/);
  assert.match(await lastAssistant().locator(".markdown").innerText(), /saved that to memory/);
  await shot(page, "06-tool-step");

  await page.getByRole("link", { name: /Settings/ }).click();
  await page.getByRole("link", { name: "Memory" }).click();
  const file = page.getByRole("button", { name: /notes\.md/ });
  await file.click();
  await page.locator(".memory-content").getByText("I drink green tea every morning").waitFor();
  await audit("07-memory");

  // Edit: markdown with code is highlighted, has a copy button, and stays inert.
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel(/Content of/).fill('# Notes\n\nTea: green.\n\n```js\nconst cup = "green";\n```\n\n<img src="x" onerror="window.__pwned=3">\n');
  await page.getByRole("button", { name: "Save" }).click();
  const content = page.locator(".memory-content");
  await content.locator("h1").getByText("Notes").waitFor();
  await content.locator(".hljs-keyword").first().waitFor();
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  await content.getByRole("button", { name: "Copy" }).click();
  await content.getByRole("button", { name: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'const cup = "green";');
  assert.equal(await content.locator("img, [onerror]").count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // History lists both changes; restoring the assistant's version brings the tea back.
  await page.getByRole("button", { name: "History" }).click();
  const versions = page.locator(".versions li");
  await versions.nth(1).waitFor();
  assert.match(await versions.nth(1).innerText(), /assistant/);
  await versions.nth(1).getByRole("button", { name: "Restore" }).click();
  await page.locator(".memory-content").getByText("I drink green tea every morning").waitFor();
  await shot(page, "08-memory-reverted");

  // Memory can be turned off (and on again); the choice is kept.
  const use = page.getByRole("switch", { name: /Use memory/ });
  await use.uncheck();
  await page.reload();
  await page.getByRole("switch", { name: /Use memory/ }).waitFor();
  assert.equal(await page.getByRole("switch", { name: /Use memory/ }).isChecked(), false);
  await page.getByRole("switch", { name: /Use memory/ }).check();
  await page.reload();
  await page.getByRole("switch", { name: /Use memory/ }).waitFor();
  assert.equal(await page.getByRole("switch", { name: /Use memory/ }).isChecked(), true);

  // Deleting the file empties the tree.
  await page.getByRole("button", { name: /notes\.md/ }).click();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Delete" }).click(); // confirm
  await page.getByText("Nothing saved yet.").waitFor();
});

test("usage shows today's tokens in the chart and per conversation", async () => {
  await page.getByRole("link", { name: "Usage" }).click();
  const today = new Date();
  const iso = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
  const bar = page.locator(`.chart-bar[data-date="${iso}"]`);
  await bar.waitFor();
  assert.ok(Number(await bar.getAttribute("height")) > 0, "today's bar has height");
  assert.ok((await page.locator(".table tbody tr").count()) >= 1, "usage per conversation is listed");
  await audit("09-usage");
});

test("every settings page passes the accessibility check", async () => {
  for (const s of ["profile", "assistant", "security", "appearance"]) {
    await page.getByRole("link", { name: s[0].toUpperCase() + s.slice(1), exact: true }).click();
    await page.locator(".panel h2").first().waitFor();
    await page.waitForLoadState("networkidle");
    await audit(`10-settings-${s}`);
  }
  // Security lists this session and the sign-ins.
  await page.getByRole("link", { name: "Security" }).click();
  await page.getByText("This device").waitFor();
  await page.locator(".table tbody tr").first().waitFor();
});

test("a reply in progress is picked up again after a reload", async () => {
  await page.goto(stack.url + "/");
  await send("Tell me a long story about lighthouses");
  await page.waitForURL(/\/c\//);
  const box = lastAssistant().locator(".markdown");
  await box.waitFor();
  await page.waitForFunction(() => {
    const m = document.querySelectorAll(".msg-assistant .markdown");
    const t = m[m.length - 1]?.textContent ?? "";
    return t.split(/\s+/).length >= 3;
  });
  const before = (await box.innerText()).split(/\s+/).length;
  assert.ok(before < WORDS, `reloaded mid-reply (${before} words in)`);
  await page.reload();
  await shot(page, "11-reattached-mid-reply");
  await page.locator(".send-btn.stop").waitFor({ timeout: 10_000 });
  await waitReplyDone();
  const text = await lastAssistant().locator(".markdown").innerText();
  assert.match(text, /^You said: Tell me a long story about lighthouses/);
  assert.ok(text.split(/\s+/).length >= WORDS, "the reply finished after the reload");
  assert.equal(await assistantMessages().count(), 1, "no duplicate reply");
});

test("stop, regenerate and edit the last message", async () => {
  await send("Count slowly to one hundred");
  await page.locator(".send-btn.stop").waitFor();
  await page.waitForFunction(() => (document.querySelector(".msg-assistant:last-child .markdown")?.textContent ?? "").length > 10);
  await page.getByRole("button", { name: "Stop reply" }).click();
  await lastAssistant().getByText("Stopped").waitFor();

  await lastAssistant().getByRole("button", { name: "Regenerate reply" }).click();
  await waitReplyDone();
  assert.match(await lastAssistant().locator(".markdown").innerText(), /^You said: Count slowly to one hundred/);

  await page.getByRole("button", { name: "Edit message" }).last().click();
  await page.getByLabel("Edit your message").fill("Count slowly to ten instead");
  await page.getByRole("button", { name: "Save and send" }).click();
  await page.locator(".msg-user .bubble").last().getByText("Count slowly to ten instead").waitFor();
  await waitReplyDone();
  assert.match(await lastAssistant().locator(".markdown").innerText(), /^You said: Count slowly to ten instead/);
});

test("rename, search and delete conversations", async () => {
  const item = page.locator(".conv-item.active");
  await item.getByRole("button", { name: /^Rename/ }).click();
  await page.getByLabel("New title").fill("Counting practice");
  await page.getByLabel("New title").press("Enter");
  await page.locator(".conv-item.active").getByText("Counting practice").waitFor();

  await page.getByLabel("Search conversations").fill("lighthouses");
  await page.waitForFunction(() => document.querySelectorAll(".conv-item").length === 1);
  await page.getByLabel("Search conversations").fill("");
  await page.waitForFunction(() => document.querySelectorAll(".conv-item").length >= 2);

  const count = await page.locator(".conv-item").count();
  await page.locator(".conv-item.active").getByRole("button", { name: /^Delete/ }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.waitForURL(stack.url + "/");
  await page.waitForFunction((n) => document.querySelectorAll(".conv-item").length === n - 1, count);
});

test("at phone width (360 px) every page fits and works", async () => {
  await page.setViewportSize({ width: 360, height: 740 });
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await page.goto(stack.url + "/");
  await page.getByPlaceholder("How can I help you today?").waitFor();
  assert.ok(await fits(), "new chat fits");
  await audit("12-mobile-new-chat");
  await page.getByRole("button", { name: "Open menu" }).click();
  await page.locator(".sidebar.open").waitFor();
  await audit("13-mobile-sidebar");
  await page.keyboard.press("Escape");
  await page.locator(".sidebar.open").waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Open menu" }).click();
  await page.locator(".conv-item .conv-link").first().click();
  await page.waitForURL(/\/c\//);
  await waitReplyDone();
  assert.ok(await fits(), "conversation fits");
  await audit("14-mobile-chat");
  for (const s of ["usage", "memory", "security"]) {
    await page.goto(`${stack.url}/settings/${s}`);
    await page.locator(".panel h2").first().waitFor();
    await page.waitForLoadState("networkidle");
    assert.ok(await fits(), `settings/${s} fits`);
    await audit(`15-mobile-settings-${s}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("dark theme is chosen in settings and kept in the browser", async () => {
  await page.goto(stack.url + "/settings/appearance");
  await page.getByLabel("Dark").check();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.goto(stack.url + "/");
  await page.locator(".conv-item .conv-link").first().click();
  await waitReplyDone();
  await audit("16-dark-chat");
  await page.goto(stack.url + "/settings/usage");
  await page.locator(".chart-svg").waitFor();
  await audit("17-dark-usage");
});

test("every chat action is reachable with the keyboard", async () => {
  await page.goto(stack.url + "/settings/appearance");
  await page.getByLabel("System").check();
  await page.goto(stack.url + "/");
  await page.locator(".conv-item .conv-link").first().click();
  await waitReplyDone();
  const reached = new Set();
  await page.locator("body").focus();
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const name = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return "";
      const label = el.getAttribute("aria-label") || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) || el.textContent;
      return (label ?? "").trim();
    });
    if (name) reached.add(name.replace(/\s+/g, " "));
  }
  const names = [...reached];
  for (const want of ["New chat", "Search conversations", /^Rename /, /^Delete /, "Settings", "Copy reply", "Good reply", "Bad reply", "Edit message", "Message"]) {
    assert.ok(names.some((n) => (typeof want === "string" ? n.includes(want) : want.test(n))), `Tab reaches ${want} (reached: ${names.join(" | ")})`);
  }
  // Enter on a focused rename button opens the rename box.
  await page.locator(".conv-item").first().getByRole("button", { name: /^Rename/ }).focus();
  await page.keyboard.press("Enter");
  await page.getByLabel("New title").waitFor();
  await page.keyboard.press("Escape");
  await page.getByLabel("New title").waitFor({ state: "detached" });
});

test("sign out clears the token; browser storage holds nothing else", async () => {
  const allowed = ["ally.token", "ally.theme", "ally.changelogSeen"];
  await page.goto(stack.url + "/settings/appearance");
  await page.getByLabel("Dark").check();
  const keys = await page.evaluate(() => Object.keys(localStorage).sort());
  assert.deepEqual(keys, ["ally.theme", "ally.token"]);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login");
  const left = await page.evaluate(() => Object.keys(localStorage));
  assert.ok(!left.includes("ally.token"), "the token is gone");
  assert.ok(left.every((k) => allowed.includes(k)), `only UI preferences remain: ${left}`);
  assert.deepEqual(await page.context().cookies(), [], "no cookies either");
  await page.goto(stack.url + "/settings/profile");
  await page.waitForURL("**/login");
  errorsBeforeBadLogin = consoleErrors.length;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  // The refused sign-in answers 401, which the browser itself logs.
  const extra = consoleErrors.splice(errorsBeforeBadLogin);
  assert.ok(extra.every((e) => /status of 401/.test(e)), extra.join("\n"));
});

test("forgot password: the emailed link sets a new one", async () => {
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await page.getByText(/we have sent it a link/).waitFor();
  await audit("19-forgot");
  const mail = stack.mail().find((m) => String(m.to).includes(email) && /reset-password\?token=/.test(String(m.text)));
  assert.ok(mail, "a reset email is in the outbox");
  await page.goto(String(mail.text).match(/https?:\/\/\S+\/reset-password\?token=[\w-]+/)[0]);
  await page.getByLabel("New password", { exact: true }).fill(resetPassword);
  await page.getByLabel("Repeat new password").fill(resetPassword);
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByText("Your password is changed").waitFor();
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(resetPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: /Ada/ }).waitFor();
});

test("no serious or critical accessibility violation, no console error", () => {
  assert.deepEqual(violations, []);
  assert.deepEqual(consoleErrors, []);
});
