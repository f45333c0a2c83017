// A caption as text with links: @mentions open the profile, #hashtags the tag's page. The patterns
// follow the server's (social_core/text.py), so a link is what the API counted as a tag or mention.
import { h } from "./dom.js";

const TOKEN = /(?<![\p{L}\p{N}_#@])(?:#([\p{L}\p{N}_]{1,100})|@([A-Za-z0-9._]{1,30}))/gu;

export function caption(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [, tag, mention] = match;
    const name = tag ?? mention.replace(/\.+$/, "");  // "@bob." ends a sentence
    const whole = `${tag ? "#" : "@"}${name}`;
    parts.push(text.slice(last, match.index));
    const href = tag ? `#/tag/${encodeURIComponent(name.toLowerCase())}` : `#/u/${encodeURIComponent(name.toLowerCase())}`;
    parts.push(h("a", { href, class: tag ? "hashtag" : "mention" }, whole));
    last = match.index + whole.length;
  }
  parts.push(text.slice(last));
  return parts.filter((p) => p !== "");
}
