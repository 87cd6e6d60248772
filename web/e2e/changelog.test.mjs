// The changelog: an admin publishes a policy change 30 days ahead in the editor; every user
// is emailed once; a user sees the unseen marker, opens What's new and the marker clears;
// someone who signs up later sees the entry too; /privacy shows the operator's name and
// contact.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

test("publish a policy change, email everyone, What's new with its unseen marker, policy pages", async () => {
  const stack = await startStack({ env: { ALLY_OPERATOR_NAME: "Example Ltd", ALLY_PRIVACY_CONTACT: "dpo@example.org" } });
  cleanups.push(() => stack.stop());
  const password = "correct horse battery staple";
  await stack.signUp("admin@example.com", password, "Ada Admin");
  assert.match(stack.cli("admin", "create", "--email", "admin@example.com"), /is an admin/);
  const login = await fetch(stack.url + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "admin@example.com", password }),
  });
  const adminToken = (await login.json()).token;
  const readerToken = await stack.signUp("reader@example.com", password, "Rita Reader");

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), adminToken);

  // The editor: a too-early date is refused with a clear message, the preview renders the
  // markdown sanitised, publishing starts the mailing and shows its progress.
  await page.goto(stack.url + "/admin/changelog");
  await page.getByRole("heading", { name: "Changelog", level: 1 }).waitFor();
  await page.getByLabel("Title").fill("Shorter log retention");
  await page.getByLabel("Body (markdown)").fill("We now keep server logs for **7 days**.\n\n<img src=x onerror=\"window.__xss=1\"><script>window.__xss=1</script>");
  await page.locator(".changelog-preview strong", { hasText: "7 days" }).waitFor();
  await page.getByLabel("Policy change: email every active user when published").check();
  await page.getByLabel("Takes effect on").fill(day(10));
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText(/needs at least 30 days' notice/).waitFor();
  await page.getByLabel("Takes effect on").fill(day(30));
  assert.deepEqual(await axe(page), [], "the editor has no serious violation");
  await shot(page, "80-changelog-editor");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText("Published. The notice is being emailed to every active user.").waitFor();
  await page.getByTestId("notice-progress").filter({ hasText: /^2 of 2 sent/ }).waitFor({ timeout: 30_000 });
  await shot(page, "81-changelog-published");
  assert.equal(await page.evaluate(() => window.__xss), undefined, "the entry's markup never ran");

  // Everyone active got the notice once, with the links it promises.
  const notices = stack.mail().filter((m) => m.subject.includes("Shorter log retention"));
  assert.deepEqual(notices.map((m) => m.to).sort(), ["admin@example.com", "reader@example.com"]);
  for (const m of notices) {
    assert.match(m.text, new RegExp(`${stack.url}/whats-new#entry-`));
    assert.match(m.text, new RegExp(`${stack.url}/privacy`));
    assert.doesNotMatch(m.text + m.html, /unsubscribe/i);
    assert.doesNotMatch(m.html, /<script>/);
  }

  // The reader: a marker on What's new, which clears once the entry has been seen.
  await page.evaluate((t) => {
    localStorage.setItem("ally.token", t);
    localStorage.removeItem("ally.changelogSeen");
  }, readerToken);
  await page.goto(stack.url + "/");
  const marker = page.getByTestId("whats-new-unseen");
  await marker.waitFor();
  assert.equal((await marker.innerText()).trim().split(/\s/)[0], "1");
  assert.deepEqual(await axe(page), []);
  await shot(page, "82-whats-new-marker");
  await page.getByRole("link", { name: /What's new/ }).first().click();
  await page.waitForURL(/\/whats-new$/);
  await page.getByRole("heading", { name: "Shorter log retention" }).waitFor();
  await page.getByText(`Policy change, in effect from`).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(await axe(page), []);
  await shot(page, "83-whats-new");
  await page.setViewportSize({ width: 360, height: 780 });
  assert.deepEqual(await axe(page), [], "What's new at 360 px");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), "no sideways scrolling at 360 px");
  await shot(page, "84-whats-new-360");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("link", { name: "← Back to Ally" }).click();
  await page.getByRole("link", { name: /What's new/ }).first().waitFor();
  assert.equal(await marker.count(), 0, "the marker cleared");
  assert.ok(await page.evaluate(() => !!localStorage.getItem("ally.changelogSeen")));

  // Someone who signs up later is not emailed but sees the entry in What's new.
  await page.evaluate(() => localStorage.clear());
  await page.goto(stack.url + "/signup");
  await page.getByRole("link", { name: "privacy policy" }).first().waitFor();
  await page.getByRole("link", { name: "terms" }).first().waitFor();
  const lateToken = await stack.signUp("late@example.com", password, "Lee Late");
  assert.equal(stack.mail().filter((m) => m.to.includes("late@example.com") && m.subject.includes("Shorter log retention")).length, 0);
  await page.evaluate((t) => localStorage.setItem("ally.token", t), lateToken);
  await page.goto(stack.url + "/");
  await marker.waitFor();
  await page.goto(stack.url + "/whats-new");
  await page.getByRole("heading", { name: "Shorter log retention" }).waitFor();

  // The privacy policy: the operator's name and contact, the coming change announced.
  await page.goto(stack.url + "/privacy");
  await page.getByRole("heading", { name: "Privacy Policy" }).waitFor();
  const text = await page.locator(".policy-text").innerText();
  assert.match(text, /run by Example Ltd/);
  assert.match(text, /contact us at dpo@example\.org/);
  assert.doesNotMatch(text, /\{\{|privacy@myally\.app/);
  await page.getByText(/A change takes effect on/).waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "85-privacy");
  await page.setViewportSize({ width: 360, height: 780 });
  assert.deepEqual(await axe(page), [], "/privacy at 360 px");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), "no sideways scrolling at 360 px");
  await shot(page, "86-privacy-360");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(stack.url + "/terms");
  await page.getByRole("heading", { name: "Terms of Service" }).waitFor();

  assert.deepEqual(errors.filter((e) => !/status of 40[034]/.test(e)), []);
});
