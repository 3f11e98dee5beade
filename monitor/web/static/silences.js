// The monitor page's silencing panel: silence the monitor and end silences through /api/silences.
// The browser's login cookie authorises the request (SameSite=Strict); the JSON body keeps other sites out.
"use strict";

function say(text) {
  document.getElementById("silence-status").textContent = text;
}

async function send(method, url, body) {
  const options = { method: method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  if (response.ok) {
    window.location.reload();
    return;
  }
  let reason = response.statusText;
  try {
    reason = (await response.json()).error || reason;
  } catch (ignored) {
    // not JSON: the status says enough
  }
  say(`refused (${response.status}): ${reason}`);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("silence-form");
  if (!form) {
    return;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const wanted = { monitor: form.dataset.monitor, for: data.get("for"), reason: data.get("reason") };
    if (data.get("rule")) {
      wanted.rule = data.get("rule");
    }
    send("POST", "/api/silences", wanted).catch((error) => say(`not sent: ${error}`));
  });
  for (const button of document.querySelectorAll("button.end-silence")) {
    button.addEventListener("click", () => {
      send("DELETE", `/api/silences/${button.dataset.silenceId}`).catch((error) => say(`not sent: ${error}`));
    });
  }
});
