// The home feed: the story tray, then ranked posts page by page. Each page says what served it; when a
// fallback served it (`served_by.degraded`) a quiet banner says so instead of pretending all is well.
import { api, qs } from "./api.js";
import { clear, h } from "./dom.js";
import { postCard } from "./post.js";
import { infiniteList } from "./scroll.js";
import { storyTray } from "./stories.js";
import { takeRetuned } from "./tune.js";

export const PAGE_SIZE = 10;

export function servedBanner(servedBy) {
  if (!servedBy?.degraded) return null;
  const reasons = servedBy.degraded_reasons?.join("; ");
  return h("p", { class: "banner degraded", role: "status", title: reasons },
    "Ranking is running in a simpler mode right now, so this page may be less personal than usual.");
}

export function feedScreen(view) {
  const banner = h("div", { class: "banner-slot" });
  const list = h("div", { class: "posts", "aria-label": "Home feed" });
  const retuned = takeRetuned();
  const scroller = infiniteList(list, {
    load: async (cursor) => {
      const page = await api(`/v1/feed${qs({ limit: PAGE_SIZE, cursor })}`);
      if (!cursor) clear(banner, servedBanner(page.served_by));
      return page;
    },
    render: (item) => postCard(item),
    empty: "Your feed is empty: follow people from Explore to fill it.",
  });
  clear(view,
    storyTray(),
    retuned ? h("p", { class: "banner tuned", role: "status" }, "Re-ranked with your new feed settings.") : null,
    banner, list, scroller.footer);
  return scroller.stop;
}
