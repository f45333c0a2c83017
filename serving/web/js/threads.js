// Messages: your threads in the inbox or the requests folder (people you do not follow), most recent
// first, each with its unread count; the list is read again whenever a live message arrives.
import { api, qs, session } from "./api.js";
import { ago, clear, h, notice } from "./dom.js";
import { onLive } from "./live.js";

export function threadTitle(thread) {
  const others = thread.participants.filter((p) => p.username !== session.me);
  return (others.length ? others : thread.participants).map((p) => `@${p.username}`).join(", ");
}

function preview(message) {
  if (!message) return "No messages yet";
  const who = message.sender.username === session.me ? "You: " : "";
  return who + (message.kind === "text" ? message.text : message.kind === "post" ? "shared a post" : "sent a photo");
}

export function threadsScreen(view, folder = "inbox") {
  const list = h("ul", { class: "threads", "aria-label": folder === "inbox" ? "Inbox" : "Message requests" });
  const status = h("div");
  const load = async () => {
    try {
      const page = await api(`/v1/threads${qs({ folder, limit: 50 })}`);
      clear(list, page.items.map((t) => h("li", {}, h("a", { class: `thread-row${t.unread_count ? " unread" : ""}`, href: `#/t/${t.id}`, dataset: { thread: t.id } },
        h("span", { class: "title" }, threadTitle(t)),
        h("span", { class: "last" }, preview(t.last_message)),
        t.last_message ? h("time", { datetime: t.last_message.created_at }, ago(t.last_message.created_at)) : null,
        t.unread_count ? h("span", { class: "unread-count", "aria-label": `${t.unread_count} unread` }, String(t.unread_count)) : null))));
      clear(status, page.items.length ? null : notice(folder === "inbox" ? "No conversations yet: start one from a profile." : "No message requests."));
    } catch (error) { clear(status, notice(error.message, "error")); }
  };
  const tab = (name, label) => h("a", { href: name === "inbox" ? "#/messages" : "#/messages/requests", "aria-current": folder === name ? "page" : null }, label);
  clear(view, h("h1", { class: "screen-title" }, "Messages"), h("nav", { class: "tabs" }, tab("inbox", "Inbox"), tab("requests", "Requests")), list, status);
  load();
  return onLive((event) => (event.type === "message" || event.type === "connected") && load());
}
