// Security keys (WebAuthn): the only script on staff pages. Everything else works without JavaScript.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }
  function toText(buffer) {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || "");
    return data;
  }
  function say(button, text) {
    const out = document.getElementById(button.dataset.status);
    if (out) out.textContent = text;
  }

  async function register(button) {
    const options = await post(button.dataset.options);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    const nameField = document.getElementById(button.dataset.nameField);
    await post(button.dataset.verify, {
      name: nameField ? nameField.value : "",
      credential: {
        id: credential.id,
        rawId: toText(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: toText(credential.response.clientDataJSON),
          attestationObject: toText(credential.response.attestationObject),
          transports: credential.response.getTransports ? credential.response.getTransports() : [],
        },
        clientExtensionResults: credential.getClientExtensionResults(),
      },
    });
    window.location.reload();
  }

  async function signIn(button) {
    const options = await post(button.dataset.options);
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const assertion = await navigator.credentials.get({ publicKey: options });
    const result = await post(button.dataset.verify, {
      id: assertion.id,
      rawId: toText(assertion.rawId),
      type: assertion.type,
      response: {
        clientDataJSON: toText(assertion.response.clientDataJSON),
        authenticatorData: toText(assertion.response.authenticatorData),
        signature: toText(assertion.response.signature),
        userHandle: assertion.response.userHandle ? toText(assertion.response.userHandle) : null,
      },
      clientExtensionResults: assertion.getClientExtensionResults(),
    });
    window.location.assign(result.next);
  }

  document.querySelectorAll("[data-webauthn]").forEach((button) => {
    button.hidden = false;
    const action = button.dataset.webauthn === "register" ? register : signIn;
    button.addEventListener("click", () => {
      button.disabled = true;
      say(button, "");
      action(button).catch((error) => {
        say(button, error.message || button.dataset.failed);
        button.disabled = false;
      });
    });
  });
  document.querySelectorAll("[data-needs-script]").forEach((note) => { note.hidden = true; });
})();
