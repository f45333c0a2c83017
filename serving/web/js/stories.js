// Stories: the tray (the API's ranked order: your own first, then unseen, then by predicted interest)
// and the viewer, which plays one account's stories with progress bars and moves on by itself.
// Opening a reel marks it seen (`GET /v1/users/{u}/stories`); the tray is read again on close, so the
// account moves back among the seen ones.
import { api, session } from "./api.js";
import { ago, clear, h, notice, userLink } from "./dom.js";
import { openDialog } from "./dialog.js";
import { picture } from "./media.js";

const STORY_MS = 5000;

export function storyTray() {
  const list = h("ol", { class: "tray-items" });
  const tray = h("section", { class: "tray", "aria-label": "Stories" }, list);
  const load = async () => {
    try {
      const { items } = await api("/v1/stories/tray");
      const mine = items.some((item) => item.user.username === session.me);
      clear(list,
        mine ? null : h("li", {}, h("a", { class: "tray-item add", href: "#/new?story=1", "aria-label": "Add to your story" },
          h("span", { class: "ring" }, "+"), h("span", { class: "name" }, "Your story"))),
        items.map((item, index) => h("li", {}, h("button", {
          class: `tray-item${item.seen ? " seen" : ""}`, dataset: { user: item.user.username },
          "aria-label": `Story of @${item.user.username}${item.seen ? ", seen" : ", new"}`,
          onclick: () => watch(items, index, load),
        }, h("span", { class: "ring" }, h("img", { src: item.thumbnail_url, alt: "", width: 56, height: 56 })),
        h("span", { class: "name" }, item.user.username === session.me ? "Your story" : item.user.username)))));
    } catch (error) { clear(list, h("li", {}, notice(error.message, "error"))); }
  };
  load();
  return tray;
}

function watch(items, index, onClose) {
  const stage = h("div", { class: "story-stage" });
  const dialog = openDialog("Stories", stage, { className: "story-dialog", onClose });
  let timer = null;
  const stop = () => clearTimeout(timer);
  dialog.addEventListener("close", stop);
  const playUser = async (at) => {
    if (at >= items.length) { dialog.close(); return; }
    try {
      const reel = await api(`/v1/users/${encodeURIComponent(items[at].user.username)}/stories`);
      if (!reel.items.length) { playUser(at + 1); return; }
      play(reel, 0, () => playUser(at + 1), () => playUser(Math.max(0, at - 1)));
    } catch (error) { clear(stage, notice(error.message, "error")); }
  };
  const play = (reel, i, next, previous) => {
    stop();
    if (!dialog.open) return;
    if (i >= reel.items.length) { next(); return; }
    if (i < 0) { previous(); return; }
    const story = reel.items[i];
    const own = reel.user.username === session.me;
    const go = (to) => () => play(reel, to, next, previous);
    const bars = h("div", { class: "bars", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": reel.items.length, "aria-valuenow": i + 1, "aria-label": `Story ${i + 1} of ${reel.items.length}` },
      reel.items.map((_, j) => h("span", { class: j < i ? "bar done" : j === i ? "bar current" : "bar" }, h("i", { style: j === i ? { animationDuration: `${STORY_MS}ms` } : {} }))));
    const viewers = h("div", { class: "viewers" });
    clear(stage,
      bars,
      h("header", {}, userLink(reel.user, { onclick: () => dialog.close() }), " ", h("time", { datetime: story.created_at }, ago(story.created_at))),
      h("div", { class: "story-media", dataset: { story: story.id } }, picture(story.media, { alt: `Story by @${reel.user.username}`, sizes: "(max-width: 640px) 100vw, 420px" })),
      h("nav", { class: "story-nav" },
        h("button", { class: "prev", onclick: go(i - 1), "aria-label": "Previous story" }, "‹"),
        own ? h("button", { class: "show-viewers", onclick: () => { stop(); showViewers(story, viewers); } }, "Viewers") : null,
        h("button", { class: "next", onclick: go(i + 1), "aria-label": "Next story" }, "›")),
      viewers);
    timer = setTimeout(go(i + 1), STORY_MS);
  };
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") dialog.querySelector(".next")?.click();
    if (event.key === "ArrowLeft") dialog.querySelector(".prev")?.click();
  });
  playUser(index);
}

async function showViewers(story, box) {
  try {
    const page = await api(`/v1/stories/${story.id}/viewers?limit=100`);
    clear(box, h("h3", {}, `Seen by ${page.items.length}`),
      page.items.length ? h("ul", {}, page.items.map((v) => h("li", {}, userLink(v.user), " ", ago(v.viewed_at)))) : h("p", {}, "No one yet."));
  } catch (error) { clear(box, notice(error.message, "error")); }
}
