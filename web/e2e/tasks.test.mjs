// Settings > Tasks: build a daily task with the preview of its next runs, run it now and see
// the result in its conversation and in the run history, pause and resume, edit, a bad cron
// expression answered next to its field, phone width, dark theme, delete; the unread mark
// of a run's result; a task step's Undo.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test("create a task, run it now, see the result, pause, edit and delete it", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const token = await stack.signUp("ada@example.com");
  const api = async (method, path, body) => {
    const res = await fetch(stack.url + "/api/v1" + path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  // The builder starts in the profile's timezone, not the browser's (UTC here).
  await api("PATCH", "/me", { timezone: "America/New_York" });

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);

  await page.goto(stack.url + "/settings/tasks");
  await page.getByRole("heading", { name: "Tasks", exact: true }).waitFor();
  await page.getByText("No tasks yet.").waitFor();
  assert.deepEqual(await axe(page), []);

  // The builder: a daily task, previewed in the profile's timezone as it is typed.
  await page.getByRole("button", { name: "New task" }).click();
  const form = page.locator("form.task-form");
  assert.equal(await form.getByLabel("Timezone").inputValue(), "America/New_York");
  await form.getByLabel("Title").fill("Morning note");
  await form.getByLabel("What should the assistant do?").fill("Write me a short note to start the day");
  assert.equal(await form.getByLabel("Repeats").inputValue(), "daily");
  await form.getByLabel("Time", { exact: true }).fill("07:30");
  const preview = form.getByRole("list", { name: "Next runs" });
  await page.getByText("Next runs (America/New York)").waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll(".preview-list li")].every((li) => /07:30/.test(li.textContent ?? "")));
  const times = await preview.locator("li").allInnerTexts();
  assert.equal(times.length, 5, "five next runs");
  const instants = await preview.locator("time").evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
  assert.ok(instants.every((t, i) => i === 0 || Date.parse(t) - Date.parse(instants[i - 1]) >= 23 * 3600e3), "a day apart");
  assert.deepEqual(await axe(page), []);
  await shot(page, "60-tasks-builder");

  // A bad cron expression is answered next to its field, as it is typed.
  const errorsBeforeBadCron = errors.length;
  await form.getByLabel("Repeats").selectOption("cron");
  const cron = form.getByLabel("Cron expression");
  await cron.fill("61 * * * *");
  await page.waitForFunction(() => document.querySelector("input.mono[aria-invalid='true']") !== null);
  const cronError = await form.locator(".field-error").innerText();
  assert.match(cronError, /cron/i);
  assert.equal(await preview.count(), 0, "no preview for a bad schedule");
  await shot(page, "61-tasks-bad-cron");
  await cron.fill("30 7 * * *");
  await page.waitForFunction(() => document.querySelectorAll(".preview-list li").length === 5);
  assert.equal(await form.locator(".field-error").count(), 0, "the error goes once the expression is right");
  assert.ok(errors.splice(errorsBeforeBadCron).every((e) => /status of 400/.test(e)), "only the refused preview is logged");
  await form.getByLabel("Repeats").selectOption("daily");
  await form.getByLabel("Time", { exact: true }).fill("07:30");

  await form.getByRole("button", { name: "Create task" }).click();
  await page.getByText("Created “Morning note”.").waitFor();
  const card = page.locator(".task-card").filter({ has: page.getByRole("heading", { name: "Morning note" }) });
  await card.waitFor();
  assert.match(await card.innerText(), /Every day at 07:30 \(America\/New York\)/);
  assert.match(await card.innerText(), /about [\d,]+ tokens a run · [\d,]+ runs? a month/);
  assert.match(await card.innerText(), /Sends to\s+In-app/);
  await page.getByText("Projected tokens this month").waitFor();
  const [task] = (await api("GET", "/tasks")).tasks;
  assert.equal(task.title, "Morning note");
  assert.deepEqual(task.schedule, { kind: "daily", time: "07:30" });
  assert.equal(task.timezone, "America/New_York");
  assert.deepEqual(task.channels, ["in_app"]);
  assert.deepEqual(await axe(page), []);
  await shot(page, "62-tasks-list");

  // Run now: the run appears in the history, succeeds and is delivered in the app.
  await card.getByRole("button", { name: "Run now" }).click();
  const history = card.getByRole("region", { name: "Run history of “Morning note”" });
  await history.waitFor();
  const run = history.locator(".run").first();
  await run.locator(".status-succeeded").waitFor({ timeout: 60_000 });
  await run.getByText("In-app: sent").waitFor({ timeout: 30_000 });
  const runs = (await api("GET", `/tasks/${task.id}/runs`)).runs;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, "succeeded");
  assert.ok(runs[0].message_id, "the run wrote a message");
  assert.deepEqual(await axe(page), []);
  await shot(page, "63-tasks-run-history");

  // The result is in the task's conversation.
  await card.getByRole("link", { name: "Open conversation" }).click();
  await page.waitForURL(stack.url + "/c/" + task.conversation_id);
  const reply = page.locator(".msg-assistant").last();
  await reply.locator(".msg-actions").waitFor({ timeout: 30_000 });
  assert.ok((await reply.innerText()).trim().length > 0, "the reply is shown");
  await shot(page, "64-tasks-conversation");

  // Pause and resume.
  await page.goto(stack.url + "/settings/tasks");
  await card.waitFor();
  await card.getByRole("button", { name: "Pause" }).click();
  await card.getByRole("button", { name: "Resume" }).waitFor();
  assert.match(await card.locator(".task-head").innerText(), /Paused/);
  assert.equal((await api("GET", `/tasks/${task.id}`)).enabled, false);
  await card.getByRole("button", { name: "Resume" }).click();
  await card.getByRole("button", { name: "Pause" }).waitFor();
  assert.match(await card.locator(".task-head").innerText(), /Active/);
  assert.equal((await api("GET", `/tasks/${task.id}`)).enabled, true);

  // Edit: a new title and time; the preview follows the change.
  await card.getByRole("button", { name: "Edit" }).click();
  const edit = card.locator("form.task-form");
  await edit.getByLabel("Title").fill("Morning letter");
  await edit.getByLabel("Time", { exact: true }).fill("09:15");
  await page.waitForFunction(() => {
    const li = [...document.querySelectorAll(".preview-list li")];
    return li.length === 5 && li.every((l) => /09:15/.test(l.textContent ?? ""));
  });
  await edit.getByRole("button", { name: "Save task" }).click();
  const edited = page.locator(".task-card").filter({ has: page.getByRole("heading", { name: "Morning letter" }) });
  await edited.getByText("Every day at 09:15 (America/New York)").waitFor();
  const saved = await api("GET", `/tasks/${task.id}`);
  assert.equal(saved.title, "Morning letter");
  assert.deepEqual(saved.schedule, { kind: "daily", time: "09:15" });

  // Phone width: nothing scrolls sideways, the builder included; light and dark.
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await edited.waitFor();
  await edited.getByRole("button", { name: "History" }).click();
  await edited.locator(".run").first().waitFor();
  assert.ok(await fits(), "the task list fits at 390 px");
  assert.deepEqual(await axe(page), []);
  await shot(page, "65-tasks-390");
  await page.getByRole("button", { name: "New task" }).click();
  await page.locator("form.task-form").getByLabel("Repeats").selectOption("monthly");
  await page.waitForFunction(() => document.querySelectorAll(".preview-list li").length === 5);
  assert.ok(await fits(), "the builder fits at 390 px");
  await shot(page, "66-tasks-390-builder");
  await page.evaluate(() => localStorage.setItem("ally.theme", "dark"));
  await page.reload();
  await edited.waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.ok(await fits(), "fits in the dark theme");
  assert.deepEqual(await axe(page), []);
  await shot(page, "67-tasks-390-dark");
  await page.setViewportSize({ width: 1280, height: 800 });
  await edited.getByRole("button", { name: "History" }).click();
  await edited.locator(".run").first().waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "68-tasks-dark");
  await page.evaluate(() => localStorage.removeItem("ally.theme"));

  // Delete, after a confirmation.
  await edited.getByRole("button", { name: "Delete", exact: true }).click();
  await edited.getByRole("button", { name: "Delete task" }).click();
  await page.getByText("Deleted “Morning letter”.").waitFor();
  await page.getByText("No tasks yet.").waitFor();
  assert.deepEqual((await api("GET", "/tasks")).tasks, []);
  assert.deepEqual(errors, []);
});

// In-app delivery, from the server: after Run now the task's conversation has the unread
// dot and the sidebar counts it; opening it reads it, and it stays read after a reload.
test("after Run now the task's conversation is unread; opening it reads it for good", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const token = await stack.signUp("kit@example.com");
  const api = async (method, path, body) => {
    const res = await fetch(stack.url + "/api/v1" + path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const task = await api("POST", "/tasks", { title: "Stretch", instruction: "Remind me to stretch", schedule: { kind: "daily", time: "10:00" }, timezone: "UTC", channels: ["in_app"] });
  await api("POST", "/conversations", { title: "Another chat" });

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await page.goto(stack.url + "/settings/tasks");

  const card = page.locator(".task-card").filter({ has: page.getByRole("heading", { name: "Stretch" }) });
  await card.getByRole("button", { name: "Run now" }).click();
  const run = card.getByRole("region", { name: "Run history of “Stretch”" }).locator(".run").first();
  await run.locator(".status-succeeded").waitFor({ timeout: 60_000 });
  await run.getByText("In-app: sent").waitFor({ timeout: 30_000 });
  const listed = await api("GET", "/conversations");
  assert.equal(listed.unread, 1);
  assert.deepEqual(listed.conversations.filter((c) => c.unread).map((c) => c.id), [task.conversation_id]);

  // Back to chat without a page load: the sidebar already knows.
  await page.getByRole("link", { name: /Back to chat/ }).click();
  await page.waitForURL(stack.url + "/");
  const unread = page.locator(".conv-item.unread");
  await unread.waitFor();
  assert.equal(await unread.count(), 1);
  assert.match(await unread.innerText(), /Stretch/);
  await page.getByText("1 unread").waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "70-tasks-unread");

  // Opening the unread conversation clears its mark, and it stays cleared after a reload.
  await unread.locator(".conv-link").click();
  await page.waitForURL(stack.url + "/c/" + task.conversation_id);
  await page.locator(".msg-assistant").last().waitFor();
  await page.locator(".conv-item.unread").waitFor({ state: "detached" });
  assert.equal(await page.getByText("1 unread").count(), 0);
  await page.goto(stack.url + "/");
  await page.locator(".conv-item").filter({ hasText: "Stretch" }).waitFor();
  assert.equal(await page.locator(".conv-item.unread").count(), 0);
  assert.equal(await page.getByText("1 unread").count(), 0);
  assert.equal((await api("GET", "/conversations")).unread, 0);
  assert.deepEqual(errors, []);
});

// The chat side's coming field, fed through the browser until the server sends it: a tasks
// step with undo takes its change back.
test("a task step's Undo deletes the task", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const token = await stack.signUp("lin@example.com");
  const api = async (method, path, body) => {
    const res = await fetch(stack.url + "/api/v1" + path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  const task = await api("POST", "/tasks", { title: "Stretch", instruction: "Remind me to stretch", schedule: { kind: "daily", time: "10:00" }, timezone: "UTC", channels: ["in_app"] });
  const conv = await api("POST", "/conversations", {});

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.route(new RegExp(`/api/v1/conversations/${conv.id}/messages\\?`), async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const now = new Date().toISOString();
    body.messages = [
      { id: "m1", conversation_id: conv.id, role: "user", content: "Every day at 10, remind me to stretch", status: "complete", created_at: now },
      {
        id: "m2",
        conversation_id: conv.id,
        role: "assistant",
        content: "Done: a daily task at 10:00.",
        status: "complete",
        created_at: now,
        steps: [
          {
            tool_call_id: "t1",
            tool: "tasks",
            input: JSON.stringify({ action: "create", title: "Stretch" }),
            result: "created",
            is_error: false,
            writes_memory: false,
            change: true,
            undo: { tool: "tasks", action: "delete", task_id: task.id },
            done: true,
          },
        ],
      },
    ];
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await page.goto(stack.url + "/c/" + conv.id);

  await page.locator(".step").getByText("changed").waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "69-tasks-step-undo");
  await page.getByRole("button", { name: /^Undo Tasks: create Stretch/ }).click();
  await page.getByText("Undone.").waitFor();
  assert.deepEqual((await api("GET", "/tasks")).tasks, [], "the task is gone");
  assert.deepEqual(errors, []);
});
