// The friend's page: copy the code (the Clipboard API; a selection where it is missing).
"use strict";
(function () {
  const button = document.getElementById("copy");
  if (!button) return;
  button.addEventListener("click", async function () {
    const code = button.dataset.code;
    try {
      await navigator.clipboard.writeText(code);
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("code"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    button.textContent = button.dataset.copied;
  });
})();
