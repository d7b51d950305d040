// The console's only script: talk to /console/api/* and render bubbles. No dependencies.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const controls = $("controls");
  // The page's words in the staff member's language (data-said-* on #controls).
  const said = (key, english) => controls.dataset["said" + key] || english;
  const csrf = controls.dataset.csrf;
  const customers = JSON.parse(controls.dataset.customers);

  function fillCustomers() {
    const list = customers[$("shop").value] || [];
    $("user").innerHTML = "";
    for (const id of [...list, "new"]) {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = id === "new" ? said("New", "new voice user") : id;
      $("user").appendChild(option);
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function details(summary, body) {
    const d = el("details");
    d.appendChild(el("summary", null, summary));
    d.appendChild(el("pre", null, body));
    return d;
  }

  async function post(url, body) {
    const response = await fetch(url, {method: "POST", headers: {
      "Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)});
    return [response.status, await response.json()];
  }

  async function refreshOutbox() {
    const response = await fetch("/console/api/outbox?shop=" + encodeURIComponent($("shop").value));
    const rows = await response.json();
    const list = $("outbox");
    list.innerHTML = "";
    for (const m of rows) {
      const item = el("li", "message");
      item.textContent = `${m.kind} (${m.purpose}) via ${m.channel} to ${m.to} — ${m.status}`;
      item.dataset.purpose = m.purpose;
      item.title = m.text;
      list.appendChild(item);
    }
  }

  // The card as the device shows it: its title, text and image (Alexa's card or APL QR,
  // Alice's BigImage, Dialogflow's card or rich content) and the link button.
  function deviceCard(r) {
    const card = r.card || {};
    const box = el("div", "device-card");
    box.dataset.platform = $("platform").value;
    const title = card.title || card.header || "";
    const text = card.description || card.text || card.content || card.subtitle || "";
    if (title) box.appendChild(el("div", "device-card-title", title));
    if (r.qr) {
      const img = el("img", "qr");
      img.src = r.qr;
      img.alt = title ? "QR code: " + title : "QR code";
      box.appendChild(img);
    }
    if (text) box.appendChild(el("div", "device-card-text", text));
    if (r.link) {
      const a = el("a", "device-card-button", (card.buttons && card.buttons[0] &&
        card.buttons[0].text) || said("Open", "Open link"));
      a.href = r.link;
      a.title = r.link;
      box.appendChild(a);
    }
    if (!title && !text && !r.qr && !r.link) box.hidden = true;
    return box;
  }

  async function say(text, fresh) {
    $("bubbles").appendChild(el("div", "bubble you", text || said("Launch", "(launch)")));
    const [status, r] = await post("/console/api/say", {
      shop: $("shop").value, platform: $("platform").value, locale: $("locale").value,
      user: $("user").value, screen: $("screen").checked, text: text, new: fresh});
    const bubble = el("div", "bubble them");
    if (status !== 200) {
      bubble.textContent = (r.error && r.error.message) || said("Error", "Error") + " " + status;
    } else {
      bubble.appendChild(el("div", "speech", r.speech || said("Silent", "(no speech)")));
      const slots = Object.entries(r.slots).map(([k, v]) => `${k}=${v}`).join(", ");
      const near = r.near_misses.map(([i, s]) => `${i} ${s}`).join(", ");
      bubble.appendChild(el("div", "meta intent",
        `intent ${r.intent} (score ${r.score})${slots ? " · " + slots : ""}` +
        `${near ? " · near: " + near : ""}${r.end_session ? " · " + said("Ended", "session ended") : ""}`));
      bubble.appendChild(deviceCard(r));
      bubble.appendChild(details("SSML / TTS", r.ssml));
      if (r.card) bubble.appendChild(details(said("Card", "Card"), JSON.stringify(r.card, null, 2)));
      bubble.appendChild(details(said("Request", "Request"), JSON.stringify(r.request, null, 2)));
      bubble.appendChild(details(said("Response", "Response"), JSON.stringify(r.response, null, 2)));
    }
    $("bubbles").appendChild(bubble);
    await refreshOutbox();
  }

  let fresh = true;
  for (const id of ["shop", "platform", "locale", "user", "screen"]) {
    $(id).addEventListener("change", () => { fresh = true; if (id === "shop") fillCustomers(); });
  }
  $("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("text").value;
    $("text").value = "";
    await say(text, fresh);
    fresh = false;
  });
  $("reset").addEventListener("click", async () => {
    await post("/console/api/reset", {});
    $("bubbles").innerHTML = "";
    fresh = true;
  });
  $("replay").addEventListener("change", async () => {
    const form = new FormData();
    form.append("file", $("replay").files[0]);
    const response = await fetch("/console/api/replay", {method: "POST", body: form,
                                                        headers: {"X-CSRF-Token": csrf}});
    const outcomes = await response.json();
    $("replay-result").textContent = Array.isArray(outcomes)
      ? outcomes.map((o) => `${o.passed ? "PASS" : "FAIL"} ${o.name}` +
          (o.failures.length ? ": " + o.failures.join("; ") : "")).join("\n")
      : (outcomes.error && outcomes.error.message);
  });
  fillCustomers();
  refreshOutbox();
})();
