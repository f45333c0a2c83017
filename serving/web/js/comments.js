// A post's comment thread: the newest few (the API pages oldest first, so the last page holds them),
// all of them on request, and a form to add one.
import { api, qs } from "./api.js";
import { ago, clear, h, notice, userLink } from "./dom.js";

const SHOWN = 3;

async function allComments(postId) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(`/v1/posts/${postId}/comments${qs({ limit: 100, cursor })}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}

const row = (c) => h("li", { class: "comment" }, userLink(c.author), " ", c.text, " ", h("time", { datetime: c.created_at }, ago(c.created_at)));

export function commentThread(post, onCount) {
  const list = h("ul", { class: "comments", "aria-live": "polite" });
  const more = h("button", { class: "link", hidden: true }, "");
  const input = h("input", { name: "text", placeholder: "Add a comment…", "aria-label": "Add a comment", maxlength: 2200, required: true, disabled: true });
  const status = h("div");
  let comments = [];
  let expanded = false;
  const render = () => {
    const shown = expanded ? comments : comments.slice(-SHOWN);
    more.hidden = expanded || comments.length <= SHOWN;
    more.textContent = `View all ${comments.length} comments`;
    clear(list, shown.map(row));
  };
  more.addEventListener("click", () => { expanded = true; render(); });
  const form = h("form", { class: "comment-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      comments.push(await api(`/v1/posts/${post.id}/comments`, { method: "POST", json: { text: input.value } }));
      input.value = "";
      clear(status);
      render();
      onCount(comments.length);
    } catch (error) { clear(status, notice(error.message, "error")); }
  } }, input, h("button", {}, "Post"));
  const section = h("section", { class: "thread", "aria-label": "Comments" }, more, list, form, status);
  // The form opens once the thread has loaded: a comment posted earlier would be overwritten by the
  // older list arriving after it.
  allComments(post.id).then((items) => { comments = items; render(); input.disabled = false; input.focus(); })
    .catch((error) => { clear(status, notice(error.message, "error")); input.disabled = false; });
  return section;
}
