// One post as a card: media, caption, counts, and the actions (like, save, comment, share, see less).
// Feed items also say why they are there: their `reason` and candidate sources as badges.
import { api } from "./api.js";
import { caption } from "./caption.js";
import { commentThread } from "./comments.js";
import { ago, clear, count, h, notice, userLink } from "./dom.js";
import { picture } from "./media.js";
import { sharePost } from "./share.js";

const SOURCE_LABELS = {
  following: "following", two_tower: "for you", popular: "popular", social_proof: "liked by friends",
  fresh: "new", chronological: "latest",
};

export function altText(post, index = 0) {
  const about = post.caption ? `: ${post.caption.slice(0, 120)}` : "";
  const which = post.media.length > 1 ? ` (${index + 1} of ${post.media.length})` : "";
  return `${post.media[index]?.kind === "video" ? "Video" : "Photo"} by @${post.author.username}${which}${about}`;
}

function carousel(post) {
  if (!post.media.length) return null;
  return h("div", { class: "carousel", tabindex: post.media.length > 1 ? 0 : null, "aria-label": post.media.length > 1 ? "Media, scroll sideways" : null },
    post.media.map((m, i) => picture(m, { alt: altText(post, i) })));
}

function why(post) {
  if (!post.reason && !post.sources?.length) return null;
  return h("p", { class: "why" },
    h("span", { class: "reason" }, post.reason),
    (post.sources ?? []).map((s) => h("span", { class: "badge source", title: `candidate source: ${s}` }, SOURCE_LABELS[s] ?? s)));
}

function toggle(label, pressed, onclick) {
  return h("button", { class: `action ${label.toLowerCase()}`, "aria-pressed": String(pressed), onclick }, label);
}

export function postCard(post, { onHidden } = {}) {
  const counts = { likes: post.like_count, comments: post.comment_count, saves: post.save_count };
  const tally = h("p", { class: "counts" });
  const paint = () => clear(tally,
    h("span", { class: "likes" }, count(counts.likes, "like")), " · ",
    h("span", { class: "comment-count" }, count(counts.comments, "comment")), " · ",
    h("span", { class: "saves" }, count(counts.saves, "save")));
  paint();
  const status = h("div");
  const act = (fn) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try { clear(status); await fn(button); } catch (error) { clear(status, notice(error.message, "error")); }
    finally { button.disabled = false; }
  };
  let liked = post.liked_by_me;
  const like = toggle("Like", liked, act(async (button) => {
    const state = await api(`/v1/posts/${post.id}/like`, { method: liked ? "DELETE" : "POST" });
    liked = state.liked; counts.likes = state.like_count;
    button.setAttribute("aria-pressed", String(liked));
    paint();
  }));
  let saved = false;  // the API does not say whether the viewer saved a post; saving twice is harmless
  const save = toggle("Save", saved, act(async (button) => {
    const state = await api(`/v1/posts/${post.id}/save`, { method: saved ? "DELETE" : "POST" });
    saved = state.saved; counts.saves = state.save_count;
    button.setAttribute("aria-pressed", String(saved));
    paint();
  }));
  let thread = null;
  const comment = h("button", { class: "action comment", "aria-expanded": "false", onclick: (event) => {
    const open = !thread;
    event.currentTarget.setAttribute("aria-expanded", String(open));
    if (open) {
      thread = commentThread(post, (n) => { counts.comments = n; paint(); });
      card.append(thread);
    } else { thread.remove(); thread = null; }
  } }, "Comment");
  const share = h("button", { class: "action share", onclick: () => sharePost(post) }, "Share");
  const hide = h("button", { class: "action hide", title: "Hide this post and see less from its author", onclick: act(async () => {
    await api(`/v1/posts/${post.id}/hide`, { method: "POST" });
    clear(card, h("p", { class: "hidden-note", role: "status" }, `Hidden. You will see less from @${post.author.username}.`));
    card.classList.add("gone");
    onHidden?.(post);
  }) }, "See less");
  const card = h("article", { class: "post", dataset: { id: post.id, author: post.author.username }, "aria-label": `Post by @${post.author.username}` },
    h("header", {}, userLink(post.author), " ",
      h("a", { class: "when", href: `#/p/${post.id}` }, h("time", { datetime: post.created_at, title: new Date(post.created_at).toLocaleString() }, ago(post.created_at))),
      post.location ? h("span", { class: "location" }, post.location) : null),
    carousel(post),
    h("div", { class: "actions" }, like, comment, save, share, hide),
    tally,
    post.caption ? h("p", { class: "caption" }, h("b", {}, post.author.username), " ", caption(post.caption)) : null,
    why(post),
    status);
  return card;
}

// A small square tile for grids (explore, profiles); `open` shows the whole post.
export function postTile(post, open) {
  const media = post.media[0];
  const label = `Open post by @${post.author.username}`;
  return h("button", { class: "tile", dataset: { id: post.id, author: post.author.username }, "aria-label": label, onclick: () => open(post) },
    media ? picture(media, { alt: altText(post), sizes: "(max-width: 640px) 33vw, 200px", square: true }) : h("span", { class: "text-tile" }, post.caption),
    post.media.length > 1 ? h("span", { class: "badge multi", "aria-hidden": "true" }, "❐") : null);
}
