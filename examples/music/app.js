// The music site's forms, sent to the axum-users routes the way a FastAPI Users front end
// sends them. The auth cookie is HttpOnly: this script never reads it.
"use strict";

function show(text, ok) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = ok ? "ok" : "error";
}

// FastAPI's `detail`: a code string, an object, or a list of validation errors.
async function problem(response) {
  let body;
  try {
    body = await response.json();
  } catch (_) {
    return `Error ${response.status}`;
  }
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  if (detail && typeof detail === "object") {
    return detail.reason || detail.code || JSON.stringify(detail);
  }
  return String(detail || `Error ${response.status}`);
}

async function login(email, password) {
  return fetch("/auth/jwt/login", {
    method: "POST",
    body: new URLSearchParams({ username: email, password }),
    credentials: "same-origin",
  });
}

function on(id, handler) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await handler(new FormData(form));
    } catch (error) {
      show(`Network error: ${error}`, false);
    }
  });
}

on("signup-form", async (data) => {
  const body = {
    email: data.get("email"),
    username: data.get("username"),
    password: data.get("password"),
  };
  const response = await fetch("/auth/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status !== 201) return show(await problem(response), false);
  const signedIn = await login(body.email, body.password);
  if (signedIn.status !== 204) return show(await problem(signedIn), false);
  window.location.assign("/profile");
});

on("signin-form", async (data) => {
  const response = await login(data.get("username"), data.get("password"));
  if (response.status !== 204) return show(await problem(response), false);
  window.location.assign("/profile");
});

on("profile-form", async (data) => {
  const description = data.get("description");
  const response = await fetch("/users/me", {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      username: data.get("username"),
      description: description === "" ? null : description,
    }),
    credentials: "same-origin",
  });
  if (response.status !== 200) return show(await problem(response), false);
  const user = await response.json();
  document.getElementById("current-username").textContent = user.username;
  show("Saved.", true);
});

on("signout-form", async () => {
  const response = await fetch("/auth/jwt/logout", { method: "POST", credentials: "same-origin" });
  if (response.status !== 204 && response.status !== 401) return show(await problem(response), false);
  window.location.assign("/signin");
});

// Social login: /auth/oidc/authorize sets the flow's cookie and names the provider's page.
const oidc = document.getElementById("oidc-signin");
if (oidc) {
  oidc.addEventListener("click", async () => {
    try {
      const response = await fetch("/auth/oidc/authorize", { credentials: "same-origin" });
      if (response.status !== 200) return show(await problem(response), false);
      const { authorization_url: url } = await response.json();
      window.location.assign(url);
    } catch (error) {
      show(`Network error: ${error}`, false);
    }
  });
}

// Back from the provider: hand code and state to the callback route, which sets the cookie.
if (document.getElementById("oauth-callback")) {
  (async () => {
    try {
      const response = await fetch(`/auth/oidc/callback${window.location.search}`, {
        credentials: "same-origin",
      });
      if (response.status !== 204) return show(await problem(response), false);
      window.location.assign("/profile");
    } catch (error) {
      show(`Network error: ${error}`, false);
    }
  })();
}
