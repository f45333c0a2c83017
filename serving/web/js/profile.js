// A profile: who they are, their posts as a grid, their followers and following; follow, message or
// block them; on your own, edit your bio and answer follow requests (private accounts).
import { api, qs, session } from "./api.js";
import { clear, count, h, notice, userLink } from "./dom.js";
import { openDialog } from "./dialog.js";
import { openPost } from "./explore.js";
import { postTile } from "./post.js";
import { infiniteList } from "./scroll.js";

const FOLLOW_LABEL = { none: "Follow", following: "Following", requested: "Requested" };

function people(user, which) {
  const list = h("ul", { class: "people" });
  const scroller = infiniteList(list, {
    load: (cursor) => api(`/v1/users/${encodeURIComponent(user.username)}/${which}${qs({ limit: 50, cursor })}`),
    render: (u) => h("li", {}, userLink(u, { onclick: () => dialog.close() }), u.full_name ? ` ${u.full_name}` : ""),
    empty: "No one yet.", end: "",
  });
  const dialog = openDialog(which === "followers" ? "Followers" : "Following", [list, scroller.footer], { onClose: scroller.stop });
}

function followRequests() {
  const box = h("section", { class: "requests", "aria-label": "Follow requests" });
  api("/v1/follow-requests?limit=50").then((page) => {
    if (!page.items.length) return;
    clear(box, h("h2", {}, "Follow requests"), h("ul", {}, page.items.map((r) => {
      const answer = (verb) => async () => {
        await api(`/v1/follow-requests/${r.id}/${verb}`, { method: "POST" });
        item.replaceChildren(userLink(r.requester), verb === "approve" ? " now follows you" : " declined");
      };
      const item = h("li", {}, userLink(r.requester), " ",
        h("button", { class: "primary", onclick: answer("approve") }, "Approve"), " ", h("button", { onclick: answer("deny") }, "Decline"));
      return item;
    })));
  }).catch((error) => clear(box, notice(error.message, "error")));
  return box;
}

function editor(user, rerender) {
  const bio = h("textarea", { name: "bio", rows: 3, "aria-label": "Bio", maxlength: 150 }, user.bio);
  const name = h("input", { name: "full_name", value: user.full_name, "aria-label": "Name" });
  const priv = h("input", { type: "checkbox", name: "is_private", id: "is-private", checked: user.is_private });
  const status = h("div");
  return h("form", { class: "edit-profile", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api(`/v1/users/${encodeURIComponent(user.username)}`, { method: "PATCH", json: { bio: bio.value, full_name: name.value, is_private: priv.checked } });
      rerender();
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, h("label", {}, "Name", name), h("label", {}, "Bio", bio),
  h("label", { class: "check" }, priv, " Private account (people ask to follow you)"), h("button", { class: "primary" }, "Save profile"), status);
}

function actions(user, rerender, status) {
  let relation = user.relation;
  const follow = h("button", { class: relation === "none" ? "primary follow" : "follow", onclick: async () => {
    try {
      const state = await api(`/v1/users/${encodeURIComponent(user.username)}/follow`, { method: relation === "none" ? "POST" : "DELETE" });
      relation = state.status;
      rerender();
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, FOLLOW_LABEL[relation] ?? "Follow");
  const message = h("button", { class: "message-user", onclick: async () => {
    try {
      const thread = await api("/v1/threads", { method: "POST", json: { usernames: [user.username] } });
      location.hash = `#/t/${thread.id}`;
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, "Message");
  const block = h("button", { class: "danger", onclick: async () => {
    if (block.dataset.confirm !== "1") { block.dataset.confirm = "1"; block.textContent = `Really block @${user.username}?`; return; }
    try {
      await api(`/v1/users/${encodeURIComponent(user.username)}/block`, { method: "POST" });
      location.hash = `#/blocked/${encodeURIComponent(user.username)}`;
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, "Block");
  return h("div", { class: "row profile-actions" }, follow, message, block);
}

export async function profileScreen(view, username) {
  let user;
  try { user = await api(`/v1/users/${encodeURIComponent(username)}`); } catch (error) { clear(view, notice(error.message, "error")); return null; }
  const own = user.relation === "self" || user.username === session.me;
  const rerender = () => profileScreen(view, username);
  const status = h("div");
  const grid = h("div", { class: "grid", "aria-label": `Posts by @${user.username}` });
  const stat = (n, label, which, many) => which
    ? h("button", { class: "stat link", onclick: () => people(user, which) }, count(n, label, many))
    : h("span", { class: "stat" }, count(n, label, many));
  let stop = null;
  const canSee = own || !user.is_private || user.relation === "following";
  const posts = canSee ? (() => {
    const scroller = infiniteList(grid, {
      load: (cursor) => api(`/v1/users/${encodeURIComponent(user.username)}/posts${qs({ limit: 18, cursor })}`),
      render: (post) => postTile(post, openPost), empty: "No posts yet.", end: "",
    });
    stop = scroller.stop;
    return [grid, scroller.footer];
  })() : notice("This account is private: follow it to see its posts.");
  clear(view,
    h("section", { class: "profile", dataset: { user: user.username } },
      h("h1", {}, `@${user.username}`, user.is_private ? h("span", { class: "badge", title: "Private account" }, "private") : null),
      user.full_name ? h("p", { class: "full-name" }, user.full_name) : null,
      h("p", { class: "bio" }, user.bio),
      h("p", { class: "stats" }, stat(user.posts_count, "post"), " ", stat(user.followers_count, "follower", canSee && "followers"), " ", stat(user.following_count, "following", canSee && "following", "following")),
      own ? [editor(user, rerender), followRequests()] : actions(user, rerender, status),
      status),
    posts);
  return stop;
}

export function blockedScreen(view, username) {
  const status = h("div");
  clear(view, h("h1", { class: "screen-title" }, "Blocked"),
    h("p", {}, `You blocked @${username}. Neither of you can see, follow or message the other.`),
    h("button", { onclick: async () => {
      try {
        await api(`/v1/users/${encodeURIComponent(username)}/block`, { method: "DELETE" });
        location.hash = `#/u/${encodeURIComponent(username)}`;
      } catch (error) { clear(status, notice(error.message, "error")); }
    } }, `Unblock @${username}`), status);
}
