// The client's entry point: signing in and out, and the hash router that shows one screen at a time.
// Each screen is a module with one function that fills the view and may return its cleanup.
import { api, session } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { exploreScreen } from "./explore.js";
import { feedScreen } from "./feed.js";
import { connectLive, disconnectLive } from "./live.js";
import { postCard } from "./post.js";
import { blockedScreen, profileScreen } from "./profile.js";
import { threadScreen } from "./thread.js";
import { threadsScreen } from "./threads.js";
import { tuneScreen } from "./tune.js";
import { newPostScreen } from "./upload.js";
import { loginScreen } from "./login.js";

const view = document.getElementById("view");
const nav = document.getElementById("nav");
let cleanup = null;

async function postScreen(root, id) {
  try { clear(root, postCard(await api(`/v1/posts/${id}`))); } catch (error) { clear(root, notice(error.message, "error")); }
}

function tagScreen(root, tag) {
  clear(root, h("h1", { class: "screen-title" }, `#${tag}`),
    notice("The API has no hashtag search yet: posts with this tag show up in your feed and in Explore."),
    h("p", {}, h("a", { href: "#/explore" }, "Go to Explore")));
}

const ROUTES = {
  "": (root) => feedScreen(root),
  explore: (root) => exploreScreen(root),
  new: (root, _arg, params) => newPostScreen(root, params),
  messages: (root, arg) => threadsScreen(root, arg === "requests" ? "requests" : "inbox"),
  t: (root, arg) => threadScreen(root, arg),
  u: (root, arg) => profileScreen(root, arg),
  p: (root, arg) => postScreen(root, arg),
  tag: (root, arg) => tagScreen(root, arg),
  tune: (root) => tuneScreen(root),
  blocked: (root, arg) => blockedScreen(root, arg),
};

async function route() {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const signedIn = Boolean(session.token);
  nav.hidden = !signedIn;
  if (!signedIn) { disconnectLive(); loginScreen(view, () => route()); return; }
  connectLive();
  document.getElementById("me-link").href = `#/u/${encodeURIComponent(session.me)}`;
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [section = "", arg = ""] = path.split("/");
  const screen = ROUTES[section] ?? ROUTES[""];
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${section}` || (section === "u" && link.id === "me-link" && decodeURIComponent(arg) === session.me));
  }
  window.scrollTo(0, 0);
  const result = await screen(view, decodeURIComponent(arg), new URLSearchParams(query));
  if (typeof result === "function") cleanup = result;
}

function signOut() {
  const token = session.token;
  session.clear();
  disconnectLive();
  if (token) fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
  location.hash = "#/";
  route();
}

document.getElementById("logout").addEventListener("click", signOut);
window.addEventListener("pixelrank:signed-out", signOut);
window.addEventListener("hashchange", route);
route();
