// Browser journeys of the ingång web page, in Debian's Chromium driven by
// playwright-core, with axe-core on every page. Run by the Rust test
// crates/api/tests/browser.rs against `ingang serve --demo`; it passes:
//   INGANG_BASE        the service's address (https://localhost:PORT)
//   INGANG_CLIENT      the demo client whose plans collide (Ali)
//   INGANG_HIDDEN      a client Sara is not assigned to (Lina)
//   INGANG_COORDINATOR a coordinator's API token (to withdraw a consent)
//   INGANG_CHROMIUM    the browser (default /usr/bin/chromium)
//   INGANG_SCREENSHOTS where the main pages' screenshots go
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const BASE = process.env.INGANG_BASE;
const CLIENT = process.env.INGANG_CLIENT;
const HIDDEN = process.env.INGANG_HIDDEN;
const COORDINATOR = process.env.INGANG_COORDINATOR;
const SHOTS = process.env.INGANG_SCREENSHOTS;
const EVA = process.env.INGANG_EVA;
assert.ok(BASE && CLIENT && HIDDEN && COORDINATOR && SHOTS && EVA, "environment incomplete");
mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.INGANG_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
let failures = 0;
const pagesChecked = new Set();

async function journey(name, work) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: "sv-SE" });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  // No request may leave for another host.
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:")) {
      failures++;
      console.error(`${name}: a request left for another host: ${url}`);
    }
  });
  try {
    await work(page, context);
    console.log(`ok   ${name}`);
  } catch (error) {
    failures++;
    console.error(`FAIL ${name}\n${error.stack || error}`);
    await page.screenshot({ path: `${SHOTS}/../failure-${name.replace(/\W+/g, "-")}.png` }).catch(() => {});
  } finally {
    await context.close();
  }
}

/** axe-core, WCAG 2.1 A and AA rules: no violations allowed. */
async function axe(page, label) {
  // Evaluated through the DevTools protocol, which the page's CSP does not
  // govern: the page itself still allows no inline script.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  const violations = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`,
  );
  assert.deepEqual(violations, [], `axe on ${label}`);
  pagesChecked.add(label);
}

async function signIn(page, name) {
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole("button", { name: new RegExp(name) }).click();
  await page.waitForURL(`${BASE}/clients`);
}

async function mainText(page) {
  return (await page.locator("main").innerText()).trim();
}

await journey("sign-in page, headers and accessibility", async (page) => {
  const response = await page.goto(`${BASE}/`);
  assert.equal(new URL(page.url()).pathname, "/sign-in");
  const csp = response.headers()["content-security-policy"] || (await page.request.get(`${BASE}/sign-in`)).headers()["content-security-policy"];
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await axe(page, "sign-in");
  await page.screenshot({ path: `${SHOTS}/sign-in.png`, fullPage: true });
});

await journey("officer: my clients, a client's file and the shared plan with its conflict", async (page) => {
  await signIn(page, "Eva Ek");
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Mina klienter");
  await axe(page, "worklist");
  await page.screenshot({ path: `${SHOTS}/worklist.png`, fullPage: true });
  // Lina's identity is protected: her name never appears in a list.
  assert.doesNotMatch(await mainText(page), /Lina/);

  await page.getByRole("link", { name: /Ali Svensson/ }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}`);
  assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /Ali Svensson/);
  assert.match(await mainText(page), /Varför du får se detta/);
  assert.match(await mainText(page), /giltigt till/);
  await axe(page, "client file");
  await page.screenshot({ path: `${SHOTS}/client-file.png`, fullPage: true });

  await page.getByRole("link", { name: "Visa den gemensamma planen" }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}/plan`);
  // The conflict in text a screen reader announces, and marked on the plan.
  const status = page.getByRole("status");
  assert.match(await status.innerText(), /krock/);
  assert.match(await mainText(page), /Mer än heltid/);
  assert.ok((await page.locator("tr.in-conflict").count()) >= 2, "conflicting activities marked");
  assert.ok((await page.locator("svg rect.in-conflict").count()) >= 2, "conflicting bars marked");
  // Psychiatry's plan is outside Eva's consent: no trace of it.
  assert.doesNotMatch(await page.content(), /psyk|Sjukskrivning|Återhämtning/);
  await axe(page, "shared plan");
  await page.screenshot({ path: `${SHOTS}/shared-plan.png`, fullPage: true });

  // English a click away, on the same page.
  await page.getByRole("link", { name: "English" }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}/plan`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Shared plan");
  assert.match(await mainText(page), /More than full time/);
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await axe(page, "shared plan (English)");
  await page.screenshot({ path: `${SHOTS}/shared-plan-en.png`, fullPage: true });
  await page.getByRole("link", { name: "Svenska" }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}/plan`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Gemensam plan");

  // Sign-out ends the session on the server: the old page asks to sign in.
  await page.getByRole("button", { name: "Logga ut" }).click();
  await page.waitForURL(`${BASE}/sign-in`);
  await page.goto(`${BASE}/clients/${CLIENT}`);
  assert.equal(new URL(page.url()).pathname, "/sign-in");
});

await journey("refusals: a 403 says what is missing, a hidden client looks missing", async (page) => {
  await signIn(page, "Fia Fors");
  const refused = await page.goto(`${BASE}/clients/${CLIENT}`);
  assert.equal(refused.status(), 403);
  assert.match(await mainText(page), /Klientens samtycke omfattar inte dig/);
  await axe(page, "refusal");
  await page.screenshot({ path: `${SHOTS}/refusal.png`, fullPage: true });

  await page.goto(`${BASE}/sign-in`);
  await signIn(page, "Sara Berg");
  const hidden = await page.goto(`${BASE}/clients/${HIDDEN}`);
  const hiddenText = await mainText(page);
  const missing = await page.goto(`${BASE}/clients/00000000-0000-4000-8000-000000000000`);
  const missingText = await mainText(page);
  const malformed = await page.goto(`${BASE}/clients/not-an-id`);
  const malformedText = await mainText(page);
  assert.equal(hidden.status(), 404);
  assert.equal(missing.status(), 404);
  assert.equal(malformed.status(), 404);
  assert.equal(hiddenText, missingText);
  assert.equal(malformedText, missingText);
  await axe(page, "not found");
});

await journey("a form posted without its CSRF token is refused", async (page, context) => {
  await signIn(page, "Eva Ek");
  const without = await page.request.post(`${BASE}/sign-out`, { form: {}, maxRedirects: 0 });
  assert.equal(without.status(), 403);
  const wrong = await page.request.post(`${BASE}/sign-out`, { form: { csrf: "forged" }, maxRedirects: 0 });
  assert.equal(wrong.status(), 403);
  // Still signed in: nothing was done.
  await page.goto(`${BASE}/clients`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Mina klienter");
  // The sign-in form too.
  const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
  const signInPost = await anonymous.request.post(`${BASE}/sign-in/development`, { form: { account: "x" }, maxRedirects: 0 });
  assert.equal(signInPost.status(), 403);
  await anonymous.close();
});

await journey("officer's forms: a note written, bad input shown beside its field, a draft plan's conflicts", async (page) => {
  await signIn(page, "Eva Ek");
  await page.goto(`${BASE}/clients/${CLIENT}`);
  await page.getByRole("link", { name: "Anteckning", exact: true }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}/write/note`);
  await axe(page, "note form");
  await page.getByLabel("Text").fill("Samtal om praktikplatsen på lagret.");
  await page.getByRole("button", { name: "Spara" }).click();
  await page.waitForURL(`${BASE}/clients/${CLIENT}`);
  assert.match(await mainText(page), /Samtal om praktikplatsen på lagret\./);

  // A plan with an extent outside 1–100: refused beside the field, in
  // Swedish, and nothing is stored.
  const plansBefore = await page.locator("article.record").count();
  await page.goto(`${BASE}/clients/${CLIENT}/write/action_plan`);
  await page.locator("#f-body-goals").fill("Arbete på heltid");
  await page.locator("#f-body-overall_responsibility").fill("af");
  await page.locator("#f-body-activities-0-type").selectOption("work");
  await page.locator("#f-body-activities-0-extent_percent").fill("150");
  await page.locator("#f-body-activities-0-from").fill("2027-01-04");
  await page.locator("#f-body-activities-0-to").fill("2027-03-26");
  await page.getByRole("button", { name: "Spara" }).click();
  const extent = page.locator("#f-body-activities-0-extent_percent");
  assert.equal(await extent.getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#f-body-activities-0-extent_percent-error").innerText(), /Ange en omfattning från 1 till 100 procent/);
  assert.equal(await extent.inputValue(), "150", "what was typed is kept");
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains("error-summary")), "focus on the error summary");
  await axe(page, "plan form with an error");
  await page.screenshot({ path: `${SHOTS}/plan-form-error.png`, fullPage: true });
  await page.goto(`${BASE}/clients/${CLIENT}`);
  assert.equal(await page.locator("article.record").count(), plansBefore, "nothing was stored");

  // The draft's conflicts, before anything is written.
  await page.goto(`${BASE}/clients/${CLIENT}/write/action_plan`);
  await page.locator("#f-body-goals").fill("Arbete på deltid");
  await page.locator("#f-body-overall_responsibility").fill("af");
  await page.locator("#f-body-activities-0-type").selectOption("work");
  await page.locator("#f-body-activities-0-extent_percent").fill("50");
  const today = new Date().toISOString().slice(0, 10);
  await page.locator("#f-body-activities-0-from").fill(today);
  await page.locator("#f-body-activities-0-to").fill(today);
  await page.getByRole("button", { name: "Visa krockar" }).click();
  assert.match(await page.locator("section.conflicts").innerText(), /Mer än heltid/);
  await axe(page, "plan form with its draft's conflicts");
  await page.screenshot({ path: `${SHOTS}/plan-form-conflicts.png`, fullPage: true });
  await page.goto(`${BASE}/clients/${CLIENT}`);
  assert.equal(await page.locator("article.record").count(), plansBefore, "a check writes nothing");

  // Every other form passes axe too.
  for (const kind of ["assessment", "follow_up", "meeting_note", "closure"]) {
    await page.goto(`${BASE}/clients/${CLIENT}/write/${kind}`);
    await axe(page, `${kind} form`);
  }
  // A closure whose outcome needs an analysis, without one: refused beside it.
  await page.locator("#f-body-text").fill("Avslutas.");
  await page.locator("#f-body-outcome").selectOption("none");
  await page.getByRole("button", { name: "Spara" }).click();
  assert.match(await page.locator("#f-body-analysis-error").innerText(), /Skriv en analys/);

  // A record's history.
  await page.goto(`${BASE}/clients/${CLIENT}`);
  await page.getByRole("link", { name: /^Historik/ }).first().click();
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Historik för handlingen");
  assert.match(await mainText(page), /Version 1/);
  await axe(page, "record history");
});

await journey("coordinator: register, consent with its evidence, assign, end, withdraw, erase", async (page) => {
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole("button", { name: /Karin Kvist/ }).click();
  await page.waitForURL(`${BASE}/clients`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Alla klienter");
  await axe(page, "coordinator's clients");
  await page.screenshot({ path: `${SHOTS}/coordinator-clients.png`, fullPage: true });

  // Registration: an invalid personal number is refused beside its field.
  await page.getByRole("link", { name: "Registrera klient" }).click();
  await page.waitForURL(`${BASE}/clients/new`);
  await page.locator("#f-personal_number").fill("19900101-0000");
  await page.locator("#f-name").fill("Tolvan Tolvansson");
  await page.getByRole("button", { name: "Registrera" }).click();
  assert.match(await page.locator("#f-personal_number-error").innerText(), /Personnumret är inte giltigt/);
  await axe(page, "registration with an error");
  const listed = async () => {
    await page.goto(`${BASE}/clients`);
    return page.locator("table.clients tbody tr").count();
  };
  const before = await listed();
  await page.goto(`${BASE}/clients/new`);
  await page.locator("#f-personal_number").fill("19121212-1212");
  await page.locator("#f-name").fill("Tolvan Tolvansson");
  await page.getByRole("button", { name: "Registrera" }).click();
  await page.waitForURL(/\/clients\/[0-9a-f-]{36}\/manage$/);
  const manage = page.url();
  const client = manage.split("/")[4];
  await axe(page, "client administration");

  // A consent that ends before it starts: refused beside the field.
  await page.getByRole("link", { name: "Registrera samtycke" }).click();
  await page.locator("#f-recipient_officers").fill(EVA);
  await page.locator("#f-purpose").fill("Samordning mot arbete");
  await page.locator("#f-signed_at").fill("2026-11-02");
  await page.locator("#f-valid_from").fill("2026-11-02");
  await page.locator("#f-valid_until").fill("2026-10-01");
  await page.locator("#f-evidence-method").selectOption("paper");
  // The evidence: the signed document's SHA-256, computed in the browser.
  const document = Buffer.from("Samtycke undertecknat av Tolvan Tolvansson\n");
  await page.locator("#evidence-file").setInputFiles({ name: "samtycke.pdf", mimeType: "application/pdf", buffer: document });
  const expected = createHash("sha256").update(document).digest("hex");
  await page.waitForFunction((want) => document.getElementById("f-evidence-document_sha256").value === want, expected);
  await page.getByRole("button", { name: "Registrera samtycke" }).click();
  assert.match(await page.locator("#f-valid_until-error").innerText(), /Samtycket måste sluta efter att det börjar/);
  await axe(page, "consent form with an error");
  await page.screenshot({ path: `${SHOTS}/consent-form-error.png`, fullPage: true });
  await page.locator("#f-valid_until").fill("2027-11-01");
  await page.getByRole("button", { name: "Registrera samtycke" }).click();
  await page.waitForURL(manage);
  assert.match(await mainText(page), new RegExp(expected));
  assert.equal(await page.locator("#consents ~ article").count(), 1);

  // Assign Eva, then end it.
  await page.locator("#f-officer").fill(EVA);
  await page.getByRole("button", { name: "Tilldela" }).click();
  await page.waitForURL(manage);
  await axe(page, "client administration with a consent and an assignment");
  await page.screenshot({ path: `${SHOTS}/coordinator-client.png`, fullPage: true });
  await page.getByRole("button", { name: /Avsluta tilldelningen/ }).click();
  await page.waitForURL(manage);
  assert.equal(await page.getByRole("button", { name: /Avsluta tilldelningen/ }).count(), 0);

  // Withdraw the consent: a reason is required.
  await page.getByRole("button", { name: "Återkalla" }).click();
  assert.ok((await page.locator(".field.has-error").count()) === 1, "the reason is required");
  await page.locator("input[id^='f-reason-']").fill("Klienten återkallade skriftligt");
  await page.getByRole("button", { name: "Återkalla" }).click();
  await page.waitForURL(manage);
  assert.match(await mainText(page), /återkallat/);

  // Erasure needs its confirmation.
  await page.getByRole("link", { name: "Radera klienten" }).click();
  await page.locator("#f-reason").fill("Klienten begärde radering");
  await page.getByRole("button", { name: "Radera klienten" }).click();
  assert.match(await page.locator("#f-confirm-error").innerText(), /Bekräfta/);
  await axe(page, "erasure with its confirmation missing");
  await page.locator("#f-confirm").check();
  await page.getByRole("button", { name: "Radera klienten" }).click();
  await page.waitForURL(`${BASE}/clients`);
  const gone = await page.goto(`${BASE}/clients/${client}/manage`);
  assert.equal(gone.status(), 410);
  assert.ok(before >= 1);
});

await journey("keyboard only: the officer's journey", async (page) => {
  await page.goto(`${BASE}/sign-in`);
  // The skip link is the first stop.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Hoppa till innehållet");
  await tabTo(page, /Eva Ek/);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/clients`);
  // Eva has been here before: what was written since shows on her list.
  assert.match(await mainText(page), /Ditt förra besök/);
  assert.match(await page.locator("table.clients").innerText(), /nya eller ändrade handlingar/);
  await tabTo(page, /Ali Svensson/);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/clients/${CLIENT}`);
  await tabTo(page, /Visa den gemensamma planen/);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/clients/${CLIENT}/plan`);
  assert.match(await mainText(page), /Mer än heltid/);
});

async function tabTo(page, name) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const text = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    if (text && name.test(text)) {
      const visible = await page.evaluate(() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle !== "none" && style.outlineWidth !== "0px";
      });
      assert.ok(visible, `focus is visible on ${name}`);
      return;
    }
  }
  throw new Error(`no focusable element named ${name} within 40 tabs`);
}

await journey("a withdrawal takes effect on the next page load", async (page) => {
  await signIn(page, "Eva Ek");
  const first = await page.goto(`${BASE}/clients/${CLIENT}`);
  assert.equal(first.status(), 200);
  const api = await browser.newContext({ ignoreHTTPSErrors: true, extraHTTPHeaders: { Authorization: `Bearer ${COORDINATOR}` } });
  const consents = await (await api.request.get(`${BASE}/v1/clients/${CLIENT}/consents`)).json();
  const evas = consents.items.filter((c) => c.recipients.officers.length === 2);
  assert.equal(evas.length, 1, JSON.stringify(consents));
  const withdrawn = await api.request.post(`${BASE}/v1/consents/${evas[0].id}/withdraw`, { data: { reason: "Klienten återkallade muntligt" } });
  assert.equal(withdrawn.status(), 200, await withdrawn.text());
  await api.close();
  const after = await page.reload();
  assert.equal(after.status(), 403);
  assert.match(await mainText(page), /återkallat samtycket/);
});

await journey("auditor: the log searched with its filters, a client's extract to print in Swedish and English", async (page) => {
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole("button", { name: /Olle Granskare/ }).click();
  await page.waitForURL(`${BASE}/audit`);
  await axe(page, "audit search");
  await page.locator("#f-client_id").fill("not-an-id");
  await page.getByRole("button", { name: "Sök" }).click();
  assert.match(await page.locator("#f-client_id-error").innerText(), /Värdet har fel form/);
  await page.locator("#f-client_id").fill(CLIENT);
  await page.locator("#f-decision").selectOption("deny");
  await page.getByRole("button", { name: "Sök" }).click();
  const results = await page.locator("table.audit").innerText();
  assert.match(results, /Nekad: inget samtycke omfattade personen/, "Fia's refusal is logged");
  assert.doesNotMatch(results, /Tillåten/, "the filter holds");
  await axe(page, "audit results");
  await page.screenshot({ path: `${SHOTS}/audit-search.png`, fullPage: true });

  // Sign-ins are in the log too.
  await page.goto(`${BASE}/audit?search=1&action=session.start&actor_id=${EVA}`);
  assert.match(await page.locator("table.audit").innerText(), /Loggade in/);

  await page.goto(`${BASE}/audit/clients/${CLIENT}/extract`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Utdrag ur åtkomstloggen");
  const extract = await mainText(page);
  assert.match(extract, /Läste den gemensamma planen/);
  assert.match(extract, /Tillåten/);
  assert.match(extract, /Nekad: samtycket var återkallat/, "the withdrawal's refusal");
  assert.match(extract, /Eva Ek, Arbetsförmedlingen/, "who, by name and agency");
  assert.match(extract, /Samordnad rehabilitering mot arbete/, "under which consent, by its purpose");
  await axe(page, "extract");
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.site").isVisible(), false, "printed without the page's header");
  await page.screenshot({ path: `${SHOTS}/extract-print.png`, fullPage: true });
  await page.emulateMedia({ media: "screen" });
  await page.getByRole("link", { name: "English" }).click();
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Extract from the access log");
  assert.match(await mainText(page), /Read the shared plan/);
  await axe(page, "extract (English)");
  await page.getByRole("link", { name: "Svenska" }).click();

  // The log's integrity: the newest checkpoint, its verification, a proof.
  await page.getByRole("link", { name: "Loggens äkthet" }).click();
  await page.waitForURL(`${BASE}/audit/integrity`);
  assert.match(await mainText(page), /Senaste kontrollpunkten/);
  assert.match(await mainText(page), /ingang\.localhost\/audit\+[0-9a-f]{8}\+/, "the public key in verifier form");
  await axe(page, "integrity");
  await page.getByRole("button", { name: "Kontrollera hela loggen" }).click();
  await page.waitForURL(/\/audit\/integrity\?verify=1/);
  assert.match(await page.getByRole("status").innerText(), /Loggen är hel\./);
  await axe(page, "integrity verified");
  await page.screenshot({ path: `${SHOTS}/audit-integrity.png`, fullPage: true });
  await page.goto(`${BASE}/audit?search=1&client_id=${CLIENT}`);
  await page.locator("table.audit tbody tr td a").first().click();
  await page.waitForURL(/\/audit\/entries\/\d+\/proof/);
  assert.match(await page.getByRole("status").innerText(), /Beviset stämmer/);
  await axe(page, "inclusion proof");
  await page.screenshot({ path: `${SHOTS}/audit-proof.png`, fullPage: true });
});

await journey("admin: agencies and accounts", async (page) => {
  await page.goto(`${BASE}/sign-in`);
  await page.getByRole("button", { name: /Anna Admin/ }).click();
  await page.waitForURL(`${BASE}/admin`);
  await axe(page, "administration");
  await page.locator("#f-code").fill("ak");
  await page.locator("#f-agency_name").fill("Arbetsmarknadskontoret");
  await page.getByRole("button", { name: "Lägg till myndighet" }).click();
  await page.waitForURL(`${BASE}/admin`);
  assert.match(await mainText(page), /Arbetsmarknadskontoret/);
  // An account without a role is refused beside the roles.
  await page.locator("#f-name").fill("Nils Nyström");
  await page.locator("#f-agency").fill("ak");
  await page.getByRole("button", { name: "Lägg till konto" }).click();
  assert.match(await page.locator("#f-role-officer-error").innerText(), /Välj minst en roll/);
  await page.locator("#f-role-officer").check();
  await page.getByRole("button", { name: "Lägg till konto" }).click();
  await page.waitForURL(`${BASE}/admin`);
  assert.match(await mainText(page), /Nils Nyström/);
  await page.getByRole("button", { name: "Inaktivera Nils Nyström" }).click();
  await page.waitForURL(`${BASE}/admin`);
  assert.match(await page.locator("tr", { hasText: "Nils Nyström" }).innerText(), /Inaktiverat/);
  await axe(page, "administration after changes");
  await page.screenshot({ path: `${SHOTS}/admin.png`, fullPage: true });
});

await browser.close();
console.log(`axe-core found no violations on: ${[...pagesChecked].join(", ")}`);
if (failures > 0) {
  console.error(`${failures} browser journey(s) failed`);
  process.exit(1);
}
