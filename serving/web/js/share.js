// Sharing a post into a direct-message thread: one of your threads, or a new one with a username.
import { api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { openDialog } from "./dialog.js";
import { threadTitle } from "./threads.js";

export function sharePost(post) {
  const status = h("div");
  const list = h("ul", { class: "share-threads" });
  const send = async (threadId) => {
    try {
      await api(`/v1/threads/${threadId}/messages`, { method: "POST", json: { post_id: post.id } });
      clear(status, notice("Sent.", "ok"));
    } catch (error) { clear(status, notice(error.message, "error")); }
  };
  const username = h("input", { name: "username", placeholder: "username", "aria-label": "Send to username", required: true });
  const form = h("form", { class: "row", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const thread = await api("/v1/threads", { method: "POST", json: { usernames: [username.value.trim().replace(/^@/, "")] } });
      await send(thread.id);
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, username, h("button", {}, "Send"));
  openDialog("Share post", [list, form, status], { className: "share-dialog" });
  api("/v1/threads?limit=20").then((page) => clear(list, page.items.map((t) =>
    h("li", {}, h("button", { onclick: () => send(t.id) }, `Send to ${threadTitle(t)}`)))))
    .catch((error) => clear(status, notice(error.message, "error")));
}
