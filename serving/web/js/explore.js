// Explore: a grid of posts from accounts you do not follow; a tile opens its post in place (a dialog
// over the grid, so the scroll position and the loaded pages stay).
import { api, qs } from "./api.js";
import { clear, h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { postCard, postTile } from "./post.js";
import { infiniteList } from "./scroll.js";
import { servedBanner } from "./feed.js";

export function openPost(post) {
  openDialog(`Post by @${post.author.username}`, postCard(post, { onHidden: () => {} }), { className: "post-dialog" });
}

export function exploreScreen(view) {
  const banner = h("div", { class: "banner-slot" });
  const grid = h("div", { class: "grid", "aria-label": "Explore" });
  const scroller = infiniteList(grid, {
    load: async (cursor) => {
      const page = await api(`/v1/explore${qs({ limit: 24, cursor })}`);
      if (!cursor) clear(banner, servedBanner(page.served_by));
      return page;
    },
    render: (item) => postTile(item, openPost),
    empty: "Nothing to explore yet.",
  });
  clear(view, h("h1", { class: "screen-title" }, "Explore"), banner, grid, scroller.footer);
  return scroller.stop;
}
