// The operators' area: an operator makes themselves admin with the CLI, finds a reported
// account and deletes it with a reason, watches analytics where small groups show "< 5",
// reads the outbox and opens the job queue, on a desktop and at phone width.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test("an operator deletes a reported account, reads analytics, the outbox and the job queue", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const token = await stack.signUp("operator@example.com", undefined, "Olive Operator");
  await stack.signUp("reported.child@example.com", undefined, "Reported Child");
  await stack.signUp("someone.else@example.com", undefined, "Someone Else");
  assert.match(stack.cli("admin", "create", "--email", "operator@example.com"), /is an admin/);

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);

  // The admin link shows in Settings for an admin.
  await page.goto(stack.url + "/settings/profile");
  await page.getByRole("link", { name: "Admin area" }).click();
  await page.getByRole("heading", { name: "Users" }).waitFor();

  await page.getByLabel("Search by email or name").fill("reported");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const card = page.locator('[data-user="reported.child@example.com"]');
  await card.waitFor().catch(async (e) => {
    await shot(page, "60-admin-search-failed");
    throw new Error(e.message + "\n" + (await page.locator("main").innerText()));
  });
  assert.equal(await page.locator(".admin-card").count(), 1);
  await card.getByRole("button", { name: "Delete account" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Confirm delete account" }).click();
  await dialog.getByText("Give the reason").waitFor();
  await dialog.getByLabel("Reason (required)").fill("Reported as under 18 by a parent");
  assert.deepEqual(await axe(page), []);
  await shot(page, "60-admin-delete-confirm");
  await dialog.getByRole("button", { name: "Confirm delete account" }).click();
  await page.getByText("reported.child@example.com is deleted and emailed").waitFor();
  await card.getByText("deleted").first().waitFor();
  const notice = stack.mail().find((m) => String(m.to).includes("reported.child@example.com") && /deleted/.test(m.subject));
  assert.ok(notice, "the user is emailed");
  assert.match(String(notice.text), /Reported as under 18 by a parent/);

  // Analytics: three sign-ups today, so the figure shows as "< 5".
  await page.getByRole("link", { name: "Analytics" }).click();
  await page.getByRole("heading", { name: "Analytics" }).waitFor();
  await page.getByLabel("Figure").selectOption("signups");
  await page.getByRole("cell", { name: "< 5" }).first().waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "61-admin-analytics");

  // Outbox: the deletion notice shows; verification links never do.
  await page.getByRole("link", { name: "Outbox" }).click();
  await page.getByText("Your Ally account has been deleted").waitFor();
  assert.ok((await page.getByText("Body hidden").count()) >= 3, "verification mails keep their bodies hidden");
  assert.equal(await page.getByText(/verify-email\?token=/).count(), 0);
  assert.deepEqual(await axe(page), []);

  // Audit log.
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("cell", { name: "user.delete" }).waitFor();
  assert.deepEqual(await axe(page), []);

  // Phone width: the pages fit and stay accessible.
  await page.setViewportSize({ width: 360, height: 780 });
  for (const p of ["users", "analytics", "outbox", "audit", "queue"]) {
    await page.goto(stack.url + "/admin/" + p);
    await page.locator("main h2").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `/admin/${p} is ${overflow} px too wide at 360 px`);
    assert.deepEqual(await axe(page), [], `/admin/${p} at 360 px`);
  }
  await shot(page, "62-admin-jobs-360");
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(errors, []);

  // Jobs: the console opens with its cookie.
  await page.goto(stack.url + "/admin/queue");
  await page.getByRole("button", { name: "Open the job queue" }).click();
  await page.waitForURL(/\/admin\/jobs\//);
  assert.equal(await page.title(), "River");
  await page.waitForLoadState("networkidle");
  await shot(page, "63-admin-river-ui");
  const res = await page.request.get(stack.url + "/admin/jobs/api/jobs?state=completed&limit=10");
  assert.equal(res.status(), 200);

  // A user who is not an admin gets 404 at the console and the admin API.
  const other = await stack.signUp("plain.user@example.com");
  const r = await fetch(stack.url + "/api/v1/admin/users", { headers: { Authorization: "Bearer " + other } });
  assert.equal(r.status, 404);
  const page2 = await (await launchBrowser().then((b) => (cleanups.push(() => b.close()), b))).context.newPage();
  const jobs = await page2.goto(stack.url + "/admin/jobs/");
  assert.equal(jobs.status(), 404);
});
