// Program editor: send the form to the preview endpoint as the merchant types, show field
// errors inline and what each assistant would say, plus the SMS and email.
(function () {
  "use strict";
  const form = document.getElementById("program-form");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.getElementById("preview-body");
  const localeSelect = document.getElementById("preview-locale");
  const msg = document.getElementById("preview").dataset;  // the page's language
  let last = null, timer = null, seq = 0;

  function el(tag, cls, textValue) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (textValue !== undefined) node.textContent = textValue;
    return node;
  }

  function showErrors(errors) {
    form.querySelectorAll(".error[data-field]").forEach(function (span) {
      const message = errors[span.dataset.field];
      span.hidden = !message;
      span.textContent = message || "";
      const input = form.querySelector('[name="' + span.dataset.field + '"]');
      if (input) input.classList.toggle("invalid", Boolean(message));
    });
  }

  function block(title, id, value) {
    const wrap = el("div", "preview-item");
    wrap.append(el("h3", "", title));
    const pre = el("pre", "", value);
    pre.id = id;
    wrap.append(pre);
    return wrap;
  }

  function render() {
    if (!last) return;
    body.replaceChildren();
    if (!last.preview) {
      body.append(el("p", "error", msg.msgFix || "Fix the marked fields to hear the preview."));
      return;
    }
    const p = last.preview[localeSelect.value];
    for (const b of p.blocks) {  // each assistant, as voice/platforms/<name>/preview.py shows it
      if (b.absent) body.append(el("p", "muted", b.absent));
      else body.append(block(b.title, b.id, b.text));
    }
    body.append(block((msg.msgSms || "SMS (segments: {n}, {encoding})").replace("{n}", p.sms_segments).replace("{encoding}", p.sms_encoding), "pv-sms", p.sms));
    body.append(block((msg.msgEmail || "Email") + ": " + p.email_subject, "pv-email", p.email_text));
  }

  async function refresh() {
    const mine = ++seq;
    const data = {};
    new FormData(form).forEach(function (value, key) { if (key !== "csrf_token") data[key] = value; });
    const r = await fetch(form.dataset.previewUrl, {method: "POST", body: JSON.stringify(data),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json"}});
    if (mine !== seq || !r.ok) return;
    last = await r.json();
    showErrors(last.errors || {});
    render();
    body.dataset.ready = String(mine);
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 50); });
  localeSelect.addEventListener("change", render);
  refresh();
})();
