// Settings > Assistant > "What Ally has learned": after a day with thumbs-down and the
// nightly review (`ally nightly run`), the user sees the guidance, what changed and why with
// links to the conversations, the notes; edits, restores a version, clears; turns the
// analysis off and the choice survives saving the other preferences.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

const cleanups = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

test("see, edit, restore and clear learned guidance, and opt out", async () => {
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  const email = "lin@example.com";
  const token = await stack.signUp(email);
  const api = async (method, path, body) => {
    const res = await fetch(stack.url + "/api/v1" + path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.headers.get("content-type")?.includes("json") ? res.json() : res.text();
  };
  // A day: two conversations, each reply rated down as too long.
  const convs = [];
  for (const q of ["Explain how tides work", "Suggest a name for my cat"]) {
    const c = await api("POST", "/conversations", {});
    const events = await api("POST", `/conversations/${c.id}/messages`, { content: q });
    assert.match(events, /message_end/);
    const page = await api("GET", `/conversations/${c.id}/messages`);
    const reply = page.messages.at(-1);
    await api("PUT", `/messages/${reply.id}/feedback`, { rating: "down", reason: "far too long" });
    convs.push(c.id);
  }
  const today = new Date().toISOString().slice(0, 10);
  assert.match(stack.cli("nightly", "run", "--email", email, "--date", today), /analysed/);

  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
  await page.goto(stack.url + "/settings/assistant");
  const section = page.locator("section.guidance");
  await page.getByRole("heading", { name: "What Ally has learned" }).waitFor();
  await section.getByText("Keep answers under five sentences.").first().waitFor();
  await section.getByText("Written by the nightly review", { exact: false }).waitFor();
  await section.getByText("Replies were rated down as too long.", { exact: false }).waitFor();
  const links = await section.locator(".guidance-changes a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(links.sort(), convs.map((id) => `/c/${id}`).sort(), "the change links the conversations it learned from");
  assert.equal(await section.locator(".guidance-notes li").count(), 2);
  await section.getByText("2/5").first().waitFor();
  assert.deepEqual(await axe(page), []);
  await shot(page, "70-guidance-learned");

  // Edit: the user's text becomes the guidance.
  await section.getByRole("button", { name: "Edit" }).click();
  await section.getByLabel("Guidance (one line each, at most 12)").fill("- Answer in one paragraph.\n- Use metric units.");
  await section.getByRole("button", { name: "Save guidance" }).click();
  await section.getByText("Guidance saved.").waitFor();
  await section.getByText("Written by you", { exact: false }).waitFor();
  assert.match((await api("GET", "/me/guidance")).text, /metric units/);

  // Restore the nightly version from the history.
  await section.getByText("History (2 versions)").click();
  await section.getByRole("button", { name: "Restore version 1" }).click();
  await section.getByText("Version 1 restored.").waitFor();
  assert.equal((await api("GET", "/me/guidance")).text, "- Keep answers under five sentences.");

  // Clear.
  await section.getByRole("button", { name: "Clear" }).click();
  await section.getByText("Nothing learned yet.").waitFor();
  assert.equal((await api("GET", "/me/guidance")).text, "");

  // Opt out: said what happens; it survives saving the other preferences.
  await section.getByRole("switch", { name: /Nightly analysis/ }).click();
  await section.getByText("Nightly analysis is off.").waitFor();
  await section.getByText("Off: your days are not analysed.", { exact: false }).waitFor();
  assert.equal((await api("GET", "/me/preferences")).nightly_analysis, false);
  await page.getByLabel("Assistant name").fill("Juno");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved.").waitFor();
  const prefs = await api("GET", "/me/preferences");
  assert.equal(prefs.assistant_name, "Juno");
  assert.equal(prefs.nightly_analysis, false, "saving the form keeps the opt-out");
  await page.reload();
  await page.getByRole("heading", { name: "What Ally has learned" }).waitFor();
  assert.equal(await page.getByRole("switch", { name: /Nightly analysis/ }).isChecked(), false);
  assert.deepEqual(await axe(page), []);
  await shot(page, "71-guidance-opted-out");
  assert.deepEqual(errors, []);
});
