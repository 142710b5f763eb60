// ingång: the page's one script, served from this origin. Everything works
// without it; it only adds what plainly helps.
"use strict";

// A consent's evidence: the signed document's SHA-256, computed in the
// browser from a chosen file, which is never uploaded. A file input with
// data-sha256-into="ID" fills the text field with that id.
document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.dataset.sha256Into) return;
  const target = document.getElementById(input.dataset.sha256Into);
  const file = input.files && input.files[0];
  if (!target || !file || !window.crypto || !crypto.subtle) return;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  target.value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  target.dispatchEvent(new Event("input", { bubbles: true }));
});

// A form that came back with an error: move focus to its summary, which
// links to the field (the summary is also announced as an alert).
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});

// A print button (the extract): the browser's own print dialog.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-print]");
  if (button) window.print();
});
