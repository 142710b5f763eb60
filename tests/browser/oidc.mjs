// Sign-in through a real OpenID Connect provider (oidc-provider, started by
// the Rust test): an admin links the provider's subject to Eva's account;
// Eva signs in at the provider and lands on her clients; a subject linked
// to no account, and a callback without its flow, are refused.
//   INGANG_BASE, INGANG_EVA, INGANG_CHROMIUM as for journeys.mjs
//   OIDC_ISSUER   the provider's issuer
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core, WCAG 2.1 A and AA rules: no violations allowed. */
async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.help}`), [], `axe on ${label}`);
}

const BASE = process.env.INGANG_BASE;
const EVA = process.env.INGANG_EVA;
const ISSUER = process.env.OIDC_ISSUER;
assert.ok(BASE && EVA && ISSUER, "environment incomplete");

const browser = await chromium.launch({
  executablePath: process.env.INGANG_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const fresh = async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: "sv-SE" });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  return [context, page];
};

async function atProvider(page, login) {
  await page.getByRole("link", { name: /Logga in med Testleverantören/ }).click();
  await page.waitForURL((url) => url.href.startsWith(ISSUER));
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any");
  await page.locator("button[type=submit]").click();
  // The development consent screen, when shown.
  const consent = page.locator("button[type=submit]", { hasText: /continue/i });
  if (await consent.count()) await consent.first().click();
}

try {
  // The admin links the provider's subject "eva.ek" to Eva's account.
  let [context, page] = await fresh();
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole("button", { name: /Anna Admin/ }).click();
  await page.waitForURL(`${BASE}/admin`);
  await page.locator("#f-issuer").fill(ISSUER);
  await page.locator("#f-subject").fill("eva.ek");
  await page.locator("#f-account").fill(EVA);
  await page.getByRole("button", { name: "Koppla inloggningen" }).click();
  await page.waitForURL(`${BASE}/admin`);
  // A link to an account that does not exist is refused beside its field.
  await page.locator("#f-issuer").fill(ISSUER);
  await page.locator("#f-subject").fill("someone");
  await page.locator("#f-account").fill("00000000-0000-4000-8000-000000000000");
  await page.getByRole("button", { name: "Koppla inloggningen" }).click();
  assert.match(await page.locator("#f-account-error").innerText(), /Finns inte registrerad/);
  await axe(page, "administration with a link refused");
  await context.close();

  // Eva signs in at the provider and lands on her clients.
  [context, page] = await fresh();
  await page.goto(`${BASE}/sign-in`);
  await axe(page, "sign-in with a provider");
  await atProvider(page, "eva.ek");
  await page.waitForURL(`${BASE}/clients`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Mina klienter");
  assert.match(await page.locator("main").innerText(), /Ali Svensson/);
  const cookies = await context.cookies(BASE);
  const session = cookies.find((c) => c.name === "ingang_session");
  assert.ok(session && session.secure && session.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
  assert.ok(!cookies.some((c) => c.name === "ingang_oidc"), "the flow cookie is gone");
  await context.close();
  console.log("ok   Eva signs in at the provider and lands on her clients");

  // A subject linked to no account.
  [context, page] = await fresh();
  await page.goto(`${BASE}/sign-in`);
  await atProvider(page, "nobody");
  await page.waitForURL((url) => url.pathname === "/sign-in/oidc/callback");
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Inloggningen misslyckades");
  await axe(page, "sign-in failed");
  await page.goto(`${BASE}/clients`);
  assert.equal(new URL(page.url()).pathname, "/sign-in", "not signed in");
  console.log("ok   a subject linked to no account is refused");

  // A callback this browser did not start.
  const forged = await page.goto(`${BASE}/sign-in/oidc/callback?code=forged&state=forged`);
  assert.equal(forged.status(), 401);
  await context.close();
  console.log("ok   a callback without its flow is refused");
} finally {
  await browser.close();
}
