// The back office's small behaviours (served from /static: the pages' CSP allows no inline
// script): "select all" on the review queue, a confirmation before erasing a customer, and
// the language picker that applies on change.
(() => {
  document.getElementById("select-all")?.addEventListener("click", () => {
    document.querySelectorAll("input[name=referral]").forEach((box) => { box.checked = true; });
  });
  const erase = document.getElementById("erase-form");
  erase?.addEventListener("submit", (event) => {
    if (!window.confirm(erase.dataset.confirm || "Erase?")) event.preventDefault();
  });
  const language = document.getElementById("nav-language");
  language?.addEventListener("change", () => language.form.submit());
})();
