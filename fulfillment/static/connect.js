// Connect page: poll the live status, and run the "try it" box through the simulator.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const live = document.getElementById("live");
  const box = document.getElementById("status");

  function text(el, value) { el.textContent = value; return el; }
  function when(iso) { return iso ? iso.replace("T", " ").slice(0, 19) + " UTC" : ""; }

  const said = live.dataset;  // the page's words, in the staff member's language

  function inAll(count) { return " (" + said.saidAll.replace("{n}", count) + ")."; }

  function render(s) {
    box.className = "status " + s.state;
    box.dataset.state = s.state;
    const ok = document.getElementById("status-ok");
    const refused = document.getElementById("status-refused");
    if (s.accepted.at) {
      ok.replaceChildren(said.saidVerified + " ", text(document.createElement("strong"), when(s.accepted.at)),
        ", " + said.saidIntent + " ", text(document.createElement("code"), s.accepted.intent),
        ", " + said.saidLocale + " ", text(document.createElement("code"), s.accepted.locale),
        inAll(s.accepted.count));
    }
    if (s.refused.at) {
      const reason = text(document.createElement("span"), s.refused.reason);
      reason.id = "refusal-reason";
      refused.replaceChildren(said.saidRefused + " ", text(document.createElement("strong"), when(s.refused.at)),
        " — ", reason, inAll(s.refused.count));
    }
  }

  async function poll() {
    try {
      const r = await fetch(live.dataset.statusUrl, {headers: {Accept: "application/json"}});
      if (r.ok) render(await r.json());
    } catch (e) { /* offline for a moment: try again later */ }
  }
  setInterval(poll, 3000);

  const form = document.getElementById("try-form");
  if (!form) return;
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const out = document.getElementById("try-result");
    out.replaceChildren(text(document.createElement("p"), "…"));
    const secret = document.getElementById("try-secret");
    const body = {text: document.getElementById("try-text").value,
                  locale: document.getElementById("try-locale").value,
                  user: document.getElementById("try-user").value,
                  es_secret: secret ? secret.value : ""};
    const r = await fetch(form.dataset.url, {method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json"}});
    const data = await r.json();
    out.replaceChildren();
    if (!r.ok) { out.append(text(document.createElement("p"), data.error.message)).className = "error"; return; }
    const said = text(document.createElement("p"), "");
    said.className = "speech";
    said.textContent = data.status === 200 ? data.speech : said.saidAnswered.replace("{n}", data.status) + " " + JSON.stringify(data.response);
    const meta = text(document.createElement("p"), said.saidIntent + " " + data.intent + (data.handled_intent ? " → " + data.handled_intent : "") + " · HTTP " + data.status);
    meta.className = "muted intent";
    const markup = text(document.createElement("pre"), data.ssml || "");
    out.append(said, meta, markup);
    poll();
  });
})();
