// Log in (the OAuth2 password form of /v1/auth/token) or sign up, then log in.
import { api, session } from "./api.js";
import { clear, h, notice } from "./dom.js";

function field(name, label, attrs = {}) {
  return h("label", {}, label, h("input", { name, required: true, ...attrs }));
}

export function loginScreen(view, done) {
  const status = h("div");
  const logIn = async (username, password) => {
    const token = await api("/v1/auth/token", { method: "POST", form: { username, password } });
    session.save(token.access_token, username.trim().toLowerCase());
    done();
  };
  const submit = (fn) => async (event) => {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.target));
    try { await fn(form); } catch (error) { clear(status, notice(error.message, "error")); }
  };
  clear(view,
    h("section", { class: "login" },
      h("form", { class: "card", "aria-label": "Log in", onsubmit: submit((f) => logIn(f.username, f.password)) },
        h("h1", {}, "Log in"),
        field("username", "Username", { autocomplete: "username" }),
        field("password", "Password", { type: "password", autocomplete: "current-password" }),
        h("button", { class: "primary" }, "Log in"),
        h("p", { class: "hint" }, "Demo account: ", h("code", {}, "demo"), ", password ", h("code", {}, "pixelrank-demo"))),
      h("form", { class: "card", "aria-label": "Sign up", onsubmit: submit(async (f) => {
        await api("/v1/auth/signup", { method: "POST", json: f });
        await logIn(f.username, f.password);
      }) },
        h("h2", {}, "New here? Sign up"),
        field("username", "Username", { autocomplete: "username" }),
        field("email", "Email", { type: "email", autocomplete: "email" }),
        field("password", "Password (8+ characters)", { type: "password", autocomplete: "new-password", minlength: 8 }),
        h("button", {}, "Sign up"))),
    status);
}
