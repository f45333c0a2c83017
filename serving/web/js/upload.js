// Uploading a photo or video: a local preview at once, the upload's progress, and the API's own words
// when it refuses the file (too big, not an image, too long a video). Nothing is posted until the
// upload succeeded and the person chose where it goes (a post or a story).
import { api, uploadFile } from "./api.js";
import { clear, h, notice } from "./dom.js";

export function uploader(onReady) {
  const input = h("input", { type: "file", id: "upload-file", name: "file", accept: "image/*,video/mp4,video/quicktime" });
  const preview = h("div", { class: "preview" });
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
  const status = h("div", { class: "upload-status" });
  let url = null;
  input.addEventListener("change", async () => {
    const file = input.files[0];
    onReady(null);
    if (url) URL.revokeObjectURL(url);
    clear(status);
    if (!file) { clear(preview); return; }
    url = URL.createObjectURL(file);
    const isVideo = file.type.startsWith("video/");
    clear(preview, isVideo
      ? h("video", { src: url, muted: true, controls: true, playsinline: true, "aria-label": "Preview of the chosen video" })
      : h("img", { src: url, alt: "Preview of the chosen photo" }));
    progress.hidden = false;
    progress.value = 0;
    try {
      const media = await uploadFile(file, (fraction) => { progress.value = fraction; });
      progress.value = 1;
      clear(status, notice("Uploaded.", "ok"));
      onReady(media);
    } catch (error) {
      clear(preview);
      progress.hidden = true;
      clear(status, notice(`Upload failed: ${error.message}`, "error"));
    }
  });
  return h("div", { class: "uploader" },
    h("label", { for: "upload-file", class: "file-label" }, "Choose a photo or video"), input, progress, preview, status);
}

export function newPostScreen(view, params) {
  let media = null;
  const caption = h("textarea", { name: "caption", rows: 3, placeholder: "Write a caption… #hashtags @mentions", "aria-label": "Caption", maxlength: 2200 });
  const status = h("div");
  const share = h("button", { class: "primary", disabled: true, type: "submit" }, "Share post");
  const story = h("button", { type: "button", disabled: true }, "Add to your story");
  const ready = (uploaded) => { media = uploaded; share.disabled = story.disabled = !uploaded; };
  const run = (fn) => async () => {
    share.disabled = story.disabled = true;
    try { await fn(); } catch (error) { clear(status, notice(error.message, "error")); ready(media); }
  };
  story.addEventListener("click", run(async () => {
    await api("/v1/stories", { method: "POST", json: { media_id: media.id } });
    location.hash = "#/";
  }));
  const form = h("form", { class: "new-post", onsubmit: (event) => { event.preventDefault(); run(async () => {
    const post = await api("/v1/posts", { method: "POST", json: { caption: caption.value, media_ids: [media.id] } });
    location.hash = `#/p/${post.id}`;
  })(); } }, uploader(ready), caption, h("div", { class: "row" }, share, story), status);
  clear(view, h("h1", { class: "screen-title" }, params.get("story") ? "New story" : "New post"), form);
}
