// One media attachment as a responsive picture: every variant in `srcset` (the browser picks the size
// for the slot and the screen), AVIF/WebP first when encoded, the blurhash painted under it until it
// loads, and its box sized by the media's aspect ratio so nothing moves when it arrives.
import { averageColor, dataUrl } from "./blurhash.js";
import { h } from "./dom.js";

const TYPES = { avif: "image/avif", webp: "image/webp", jpeg: "image/jpeg" };

function srcset(variants, format) {
  return variants
    .filter((v) => v.format === format)
    .sort((a, b) => a.width - b.width)
    .map((v) => `${v.url} ${v.width}w`)
    .join(", ");
}

function fallback(variants) {
  const jpegs = variants.filter((v) => v.format === "jpeg").sort((a, b) => a.width - b.width);
  return (jpegs.find((v) => v.size === "medium") ?? jpegs.at(-1) ?? variants[0])?.url ?? "";
}

export function picture(media, { alt, sizes = "(max-width: 640px) 100vw, 600px", square = false } = {}) {
  const variants = media.variants ?? [];
  const formats = ["avif", "webp"].filter((f) => variants.some((v) => v.format === f));
  const img = h("img", {
    src: fallback(variants), srcset: srcset(variants, "jpeg"), sizes, alt,
    width: media.width, height: media.height, loading: "lazy", decoding: "async",
  });
  const box = h("div", {
    class: `media${square ? " square" : ""}`,
    style: {
      aspectRatio: square ? "1" : `${media.width} / ${media.height}`,
      backgroundColor: averageColor(media.blurhash) ?? "#ddd",
    },
  }, h("picture", {}, formats.map((f) => h("source", { type: TYPES[f], srcset: srcset(variants, f), sizes })), img));
  const blur = dataUrl(media.blurhash);
  if (blur) box.style.backgroundImage = `url(${blur})`;
  const loaded = () => box.classList.add("loaded");
  if (img.complete && img.naturalWidth) loaded();
  else img.addEventListener("load", loaded, { once: true });
  if (media.kind === "video") {
    const seconds = media.duration_s ? `${Math.round(media.duration_s)} s` : "";
    box.append(h("span", { class: "badge video" }, `▶ video ${seconds}`));
  }
  return box;
}
