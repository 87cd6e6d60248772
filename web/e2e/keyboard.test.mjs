// The whole chat journey with the keyboard alone: sign in, new chat, send, stop, edit the
// last message, search, the shortcuts sheet. No mouse click anywhere; focus is visible and
// lands where the next key press needs it. Then the page is checked at 360 px, light and dark.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

let stack, browser;
before(async () => {
  // Slow replies, so that there is time to stop one.
  stack = await startStack({ fakeArgs: ["-ttft", "100ms", "-tps", "8", "-words", "200"] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id ?? "", label: el?.getAttribute("aria-label") ?? "", tag: el?.tagName ?? "", text: (el?.textContent ?? "").trim().slice(0, 40) };
  });

/** outlineShown reports whether the focused element draws a focus ring. */
const outlineShown = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return false;
    const s = getComputedStyle(el);
    const own = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    const box = el.closest(".composer, .search");
    const ring = box ? getComputedStyle(box).borderColor : "";
    return own || !!ring;
  });

test("keyboard only: sign in, send, stop, edit, search, shortcuts", async () => {
  const email = "ada@example.com";
  await stack.signUp(email, "correct horse battery staple", "Ada Lovelace");
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");

  // Sign in: Tab to the email field, type, Tab to the password, Enter.
  await page.getByLabel("Email").waitFor();
  await page.keyboard.press("Tab");
  while ((await focused(page)).tag !== "INPUT") await page.keyboard.press("Tab");
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  await page.keyboard.type("correct horse battery staple");
  await page.keyboard.press("Enter");

  // New chat: the caret is in the message box.
  await page.getByPlaceholder("How can I help you today?").waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "composer-input");
  assert.ok(await outlineShown(page), "the focused message box shows it");

  // Shift+Enter is a new line, Enter sends.
  await page.keyboard.type("First line");
  await page.keyboard.press("Shift+Enter");
  await page.keyboard.type("second line");
  assert.equal(await page.locator("#composer-input").inputValue(), "First line\nsecond line");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/c\//);
  await page.locator(".send-btn.stop").waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "composer-input");

  // Esc stops the reply; focus stays in the message box.
  await page.locator(".msg-assistant .markdown").first().waitFor();
  await page.keyboard.press("Escape");
  await page.locator(".msg-note", { hasText: "Stopped" }).waitFor();
  await page.locator(".send-btn.stop").waitFor({ state: "detached" });
  assert.equal((await focused(page)).id, "composer-input");

  // Up in the empty box edits the last message; Tab, Tab, Enter saves and sends it.
  await page.keyboard.press("ArrowUp");
  await page.waitForFunction(() => document.activeElement?.id?.startsWith("edit-"));
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type("An edited question");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal((await focused(page)).text, "Save and send");
  assert.ok(await outlineShown(page), "the focused button shows it");
  await page.keyboard.press("Enter");
  await page.locator(".bubble", { hasText: "An edited question" }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "composer-input");
  await page.locator(".send-btn.stop").waitFor();
  await page.keyboard.press("Escape");
  await page.locator(".send-btn.stop").waitFor({ state: "detached" });

  // Ctrl/Cmd+K: the conversation search.
  await page.keyboard.press("ControlOrMeta+K");
  await page.waitForFunction(() => document.activeElement?.id === "conv-search");
  await page.keyboard.type("zzz-nothing");
  await page.getByText("No conversation matches.").waitFor();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Backspace");
  await page.locator(".conv-list li").first().waitFor();

  // "?" (outside a text box) opens the shortcuts sheet; Esc closes it and focus goes back.
  await page.keyboard.press("Tab");
  const opener = await focused(page);
  assert.notEqual(opener.tag, "INPUT");
  await page.keyboard.press("Shift+?");
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await sheet.waitFor();
  assert.match(await sheet.innerText(), /Stop the reply/);
  assert.match(await sheet.innerText(), /New chat/);
  assert.deepEqual(await axe(page), []);
  await shot(page, "60-shortcuts-sheet");
  await page.keyboard.press("Escape");
  await sheet.waitFor({ state: "hidden" });
  assert.deepEqual(await focused(page), opener, "closing the sheet returns focus to where it was");

  // Ctrl/Cmd+Shift+O: a new chat, with the caret in its box.
  await page.keyboard.press("ControlOrMeta+Shift+O");
  await page.waitForURL((u) => new URL(u).pathname === "/");
  await page.waitForFunction(() => document.activeElement?.id === "composer-input");

  // The visible button opens the same sheet.
  const help = page.getByRole("button", { name: "Keyboard shortcuts" });
  await help.focus();
  await page.keyboard.press("Enter");
  await sheet.waitFor();
  await page.keyboard.press("Enter"); // the Close button has the focus
  await sheet.waitFor({ state: "hidden" });
  assert.equal((await focused(page)).label, "Keyboard shortcuts");

  assert.deepEqual(errors, []);
  await page.close();
});

for (const [w, h] of [
  [1280, 800],
  [360, 740],
]) {
  for (const scheme of ["light", "dark"]) {
    test(`chat page and sheet at ${w} px, ${scheme}: axe clean`, async () => {
      const token = await stack.signUp(`k-${w}-${scheme}@example.com`);
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: w, height: h });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(stack.url + "/login");
      await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
      await page.goto(stack.url + "/");
      const box = page.getByPlaceholder("How can I help you today?");
      await box.waitFor();
      await box.fill("Hello there");
      await box.press("Enter");
      await page.waitForURL(/\/c\//);
      await page.locator(".msg-assistant .markdown").first().waitFor();
      await page.locator("#composer-input").press("Escape");
      await page.locator(".send-btn.stop").waitFor({ state: "detached" });
      // A reply that did not fail offers its thumbs.
      await page.getByRole("button", { name: "Good reply" }).waitFor();
      assert.deepEqual(await axe(page), []);
      await page.locator("#composer-input").focus();
      await page.keyboard.press("Tab");
      await page.keyboard.press("Shift+?");
      await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
      assert.deepEqual(await axe(page), []);
      await shot(page, `61-shortcuts-${w}-${scheme}`);
      await page.close();
    });
  }
}
