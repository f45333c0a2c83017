// A deliberately small client of the public API: no framework, no build step.
const state = { token: localStorage.getItem("token"), me: localStorage.getItem("me") };
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function api(path, { method = "GET", body, form, multipart } = {}) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  let payload;
  if (multipart) { payload = new FormData(); payload.append("file", multipart.get("file")); }
  else if (form) payload = new URLSearchParams(form);
  else if (body !== undefined) { payload = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && state.token) logout();
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error(typeof data?.detail === "string" ? data.detail : `${response.status} ${response.statusText}`);
  return data;
}

function postHtml(post) {
  const pick = (m) => m.variants.find((v) => v.size === "medium" && v.format === "webp") ?? m.variants[0];
  const media = (post.media ?? []).map((m) => `<img alt="" width="${m.width}" height="${m.height}" src="${esc(pick(m)?.url ?? "")}">`).join("");
  return `<article class="post" data-id="${esc(post.id)}">
    <div><a href="#/u/${esc(post.author.username)}"><b>@${esc(post.author.username)}</b></a>
      <span class="meta">${new Date(post.created_at).toLocaleString()}</span></div>
    ${media}<p>${esc(post.caption)}</p>
    ${post.reason ? `<p class="reason">${esc(post.reason)}</p>` : ""}
    <button data-like="${post.liked_by_me ? "0" : "1"}">${post.liked_by_me ? "♥" : "♡"} ${post.like_count}</button>
    <span class="meta">${post.comment_count} comments</span>
  </article>`;
}

async function showUser(username) {
  const user = await api(`/v1/users/${encodeURIComponent(username)}`);
  const own = user.relation === "self";
  const follow = own ? "" : `<button id="follow">${user.relation === "none" ? "Follow" : "Unfollow"}</button>`;
  const composer = own ? `<form id="compose"><input type="file" name="file" accept="image/*,video/mp4,video/quicktime" required>
    <textarea name="caption" placeholder="Caption with #hashtags"></textarea><button>Post</button></form>` : "";
  const following = own ? `<p id="following" class="meta"></p>` : "";
  $("view").innerHTML = `<h2>@${esc(user.username)}</h2><p>${esc(user.bio)}</p>${following}
    <p class="meta">${user.posts_count} posts · ${user.followers_count} followers · ${user.following_count} following</p>
    ${follow}${composer}<div id="posts"></div>`;
  $("follow")?.addEventListener("click", async () => {
    await api(`/v1/users/${user.username}/follow`, { method: user.relation === "none" ? "POST" : "DELETE" });
    route();
  });
  $("compose")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const media = await api("/v1/media", { method: "POST", multipart: form });
      await api("/v1/posts", { method: "POST", body: { caption: form.get("caption"), media_ids: [media.id] } });
      route();
    } catch (error) { $("error").textContent = error.message; }
  });
  if (own) {
    const page = await api(`/v1/users/${encodeURIComponent(username)}/following?limit=30`);
    $("following").innerHTML = "Following: " + page.items.map((u) => `<a href="#/u/${esc(u.username)}">@${esc(u.username)}</a>`).join(" ");
  }
  try {
    const page = await api(`/v1/users/${encodeURIComponent(username)}/posts`);
    $("posts").innerHTML = page.items.map(postHtml).join("") || "<p>No posts yet.</p>";
  } catch (error) { $("posts").textContent = error.message; }
}

async function route() {
  $("error").textContent = "";
  const loggedIn = Boolean(state.token);
  $("login").hidden = loggedIn; $("nav").hidden = !loggedIn; $("view").hidden = !loggedIn;
  if (!loggedIn) return;
  $("me-link").href = `#/u/${state.me}`;
  const [, section, arg] = location.hash.split("/");
  try {
    if (section === "u" && arg) await showUser(decodeURIComponent(arg));
    else await showUser(state.me);
  } catch (error) { $("error").textContent = error.message; }
}

function logout() {
  if (state.token) fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } });
  state.token = state.me = null;
  localStorage.clear();
  route();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const token = await api("/v1/auth/token", { method: "POST", form });
    state.token = token.access_token; state.me = form.get("username").toLowerCase();
    localStorage.setItem("token", state.token); localStorage.setItem("me", state.me);
    location.hash = "#/"; route();
  } catch (error) { $("error").textContent = error.message; }
});
$("signup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("/v1/auth/signup", { method: "POST", body: Object.fromEntries(new FormData(event.target)) });
    $("error").textContent = "Signed up: now log in.";
  } catch (error) { $("error").textContent = error.message; }
});
$("view").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-like]");
  if (!button) return;
  const id = button.closest(".post").dataset.id;
  const state = await api(`/v1/posts/${id}/like`, { method: button.dataset.like === "1" ? "POST" : "DELETE" });
  button.dataset.like = state.liked ? "0" : "1";
  button.textContent = `${state.liked ? "♥" : "♡"} ${state.like_count}`;
});
$("logout").addEventListener("click", logout);
window.addEventListener("hashchange", route);
route();
