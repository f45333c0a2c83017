// Infinite scroll over a cursor-paginated list: the next page loads as its sentinel nears the viewport,
// a post already shown is never shown twice, and a plain button does the same for keyboards.
import { clear, h, notice } from "./dom.js";

export function infiniteList(container, { load, render, empty = "Nothing here yet.", end = "You are all caught up." }) {
  const seen = new Set();
  const sentinel = h("div", { class: "sentinel" });
  const more = h("button", { class: "more" }, "Load more");
  const status = h("div", { class: "list-status" });
  const footer = h("div", { class: "list-footer" }, sentinel, status, more);
  let cursor = null, done = false, busy = false, first = true;
  async function next() {
    if (busy || done) return;
    busy = true;
    more.disabled = true;
    clear(status, h("p", { class: "loading", role: "status" }, "Loading…"));
    try {
      const page = await load(cursor);
      const fresh = page.items.filter((item) => !seen.has(item.id));
      fresh.forEach((item) => seen.add(item.id));
      container.append(...fresh.map((item) => render(item, page)));
      cursor = page.next_cursor;
      done = !cursor;
      clear(status, done ? notice(first && !seen.size ? empty : end) : null);
      first = false;
    } catch (error) {
      clear(status, notice(error.message, "error"));
    } finally {
      busy = false;
      more.disabled = false;
      more.hidden = done;
    }
    if (!done && isNear()) next();  // a tall screen: keep filling it
  }
  const isNear = () => sentinel.isConnected && sentinel.getBoundingClientRect().top < innerHeight + 800;
  const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && next(), { rootMargin: "800px" });
  more.addEventListener("click", next);
  observer.observe(sentinel);
  next();
  return { footer, stop: () => observer.disconnect(), seen };
}
