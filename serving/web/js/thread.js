// One thread: messages oldest to newest, new ones arriving live over the WebSocket, your read receipt
// sent while you look, and the others' receipts shown on your messages as they come in.
import { api, qs, session } from "./api.js";
import { ago, clear, h, notice, userLink } from "./dom.js";
import { onLive } from "./live.js";
import { picture } from "./media.js";
import { altText } from "./post.js";
import { threadTitle } from "./threads.js";

const older = (a, b) => BigInt(a) <= BigInt(b);  // ids are 64-bit: beyond a JS number's precision

function sharedPost(postId) {
  const box = h("a", { class: "shared-post", href: `#/p/${postId}` }, "Shared post");
  api(`/v1/posts/${postId}`).then((post) => clear(box,
    post.media[0] ? picture(post.media[0], { alt: altText(post), sizes: "120px", square: true }) : null,
    h("span", {}, `@${post.author.username}: ${post.caption}`)))
    .catch(() => clear(box, "This post is no longer available."));
  return box;
}

function bubble(m) {
  const mine = m.sender.username === session.me;
  const body = m.kind === "text" ? h("p", {}, m.text)
    : m.kind === "post" ? sharedPost(m.post_id)
    : m.media ? picture(m.media, { alt: `Photo from @${m.sender.username}`, sizes: "240px" }) : h("p", {}, "(media removed)");
  return h("li", { class: `message${mine ? " mine" : ""}`, dataset: { id: m.id } },
    mine ? null : userLink(m.sender), body, h("time", { datetime: m.created_at }, ago(m.created_at)));
}

export function threadScreen(view, threadId) {
  const list = h("ol", { class: "messages", "aria-live": "polite", "aria-label": "Messages" });
  const status = h("div");
  const earlier = h("button", { class: "link", hidden: true }, "Earlier messages");
  const input = h("input", { name: "text", placeholder: "Message…", "aria-label": "Message", maxlength: 1000, autocomplete: "off", required: true });
  const seen = h("p", { class: "seen-receipt", role: "status" });
  const shown = new Set();
  const receipts = new Map();  // other member id -> last message id they read
  let thread = null, cursor = null;

  const add = (messages, { atTop = false } = {}) => {
    const fresh = messages.filter((m) => !shown.has(m.id));
    fresh.forEach((m) => shown.add(m.id));
    if (atTop) list.prepend(...fresh.map(bubble)); else list.append(...fresh.map(bubble));
    if (!atTop) list.lastElementChild?.scrollIntoView({ block: "end" });
    paintReceipt();
  };
  // "Seen" under your latest message that another member has read up to.
  const paintReceipt = () => {
    seen.remove();
    const readUpTo = [...receipts.values()];
    const mine = [...list.querySelectorAll(".message.mine")].reverse();
    const last = mine.find((li) => readUpTo.some((id) => older(li.dataset.id, id)));
    if (last) { seen.textContent = "Seen"; last.append(seen); }
  };
  const markRead = () => {
    if (document.visibilityState === "visible") api(`/v1/threads/${threadId}/read`, { method: "POST" }).catch(() => {});
  };
  const loadEarlier = async () => {
    const page = await api(`/v1/threads/${threadId}/messages${qs({ limit: 30, cursor })}`);
    cursor = page.next_cursor;
    earlier.hidden = !cursor;
    add(page.items.reverse(), { atTop: Boolean(shown.size) });
  };
  earlier.addEventListener("click", loadEarlier);
  const form = h("form", { class: "composer", onsubmit: async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    try {
      add([await api(`/v1/threads/${threadId}/messages`, { method: "POST", json: { text } })]);
      input.value = "";
      clear(status);
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, input, h("button", {}, "Send"));
  const header = h("header", { class: "thread-header" });
  clear(view, header, earlier, list, form, status);

  (async () => {
    try {
      thread = await api(`/v1/threads/${threadId}`);
      const accept = thread.folder === "requests"
        ? h("button", { onclick: async () => { await api(`/v1/threads/${threadId}/accept`, { method: "POST" }); accept.remove(); } }, "Accept request") : null;
      clear(header, h("a", { href: "#/messages", "aria-label": "Back to messages" }, "‹"), h("h1", {}, threadTitle(thread)), accept);
      await loadEarlier();
      markRead();
      input.focus();
    } catch (error) { clear(status, notice(error.message, "error")); }
  })();

  return onLive((event) => {
    if (event.type === "connected" && thread) {  // what arrived while the socket was down
      api(`/v1/threads/${threadId}/messages?limit=30`).then((page) => add(page.items.reverse())).catch(() => {});
      return;
    }
    if (event.thread_id !== String(threadId)) return;
    if (event.type === "message") {
      add([event.message]);
      if (event.message.sender.username !== session.me) markRead();
    } else if (event.type === "read") {
      const me = thread?.participants.find((p) => p.username === session.me);
      if (me && event.user_id === me.id) return;
      receipts.set(event.user_id, event.message_id);
      paintReceipt();
    }
  });
}
