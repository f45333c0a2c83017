// "Tune my feed": the /v1/me/ranking knobs and value-model weights as sliders within the API's bounds.
// Each change is saved at once; the next feed load is ranked with it, and the feed says so.
import { api } from "./api.js";
import { clear, h, notice } from "./dom.js";

const RETUNED = "pixelrank.retuned";
const KNOBS = {
  friends: "Accounts you follow",
  popular: "Popular right now",
  fresh: "Newest posts",
};
const HEADS = { like: "Posts you would like", comment: "Posts you would comment on", save: "Posts you would save", share: "Posts you would share", hide: "Posts you would hide" };
const WEIGHT_MAX = 100;  // the value model's bound (ranking/value_model.py); hide is its negative side

export function takeRetuned() {
  const was = sessionStorage.getItem(RETUNED) === "1";
  sessionStorage.removeItem(RETUNED);
  return was;
}

function slider(name, label, value, min, max, step, onInput) {
  const output = h("output", { for: `tune-${name}` }, String(value));
  const input = h("input", { type: "range", id: `tune-${name}`, name, min, max, step, value, oninput: () => { output.value = input.value; }, onchange: () => onInput(name, Number(input.value)) });
  return h("div", { class: "slider" }, h("label", { for: `tune-${name}` }, label), input, output);
}

export async function tuneScreen(view) {
  const status = h("div", { class: "tune-status" });
  let prefs;
  try { prefs = await api("/v1/me/ranking"); } catch (error) { clear(view, notice(error.message, "error")); return; }
  const state = { friends: prefs.friends, popular: prefs.popular, fresh: prefs.fresh, weights: { ...prefs.defaults, ...prefs.weights } };
  let saving = Promise.resolve(), sent = 0;
  // PUT replaces the whole set: saves go one after another, so the last one sent is the one kept.
  const save = (name, value) => {
    if (name in KNOBS) state[name] = value; else state.weights[name] = value;
    const weights = Object.fromEntries(Object.entries(state.weights).filter(([head, w]) => w !== prefs.defaults[head]));
    const body = { friends: state.friends, popular: state.popular, fresh: state.fresh, weights };
    const ticket = ++sent;
    clear(status, h("p", { class: "notice", role: "status" }, "Saving…"));
    saving = saving.then(async () => {
      try {
        await api("/v1/me/ranking", { method: "PUT", json: body });
        sessionStorage.setItem(RETUNED, "1");
        if (ticket === sent) clear(status, notice("Saved. Your next feed load is re-ranked with these settings.", "ok"));
      } catch (error) { clear(status, notice(error.message, "error")); }
    });
  };
  const reset = h("button", { type: "button", onclick: async () => {
    await api("/v1/me/ranking", { method: "PUT", json: {} });
    sessionStorage.setItem(RETUNED, "1");
    tuneScreen(view);
  } }, "Back to the defaults");
  const heads = Object.keys(prefs.defaults).filter((head) => head in HEADS);
  clear(view,
    h("h1", { class: "screen-title" }, "Tune my feed"),
    h("p", { class: "hint" }, "Your feed is ranked by a model that predicts what you would do with each post. Move these to change what it favours: 1 is as ranked."),
    h("fieldset", {}, h("legend", {}, "More or less of"),
      Object.entries(KNOBS).map(([name, label]) => slider(name, label, state[name], 0, 2, 0.05, save))),
    h("fieldset", {}, h("legend", {}, "How much each prediction counts"),
      heads.map((head) => head === "hide"
        ? slider(head, HEADS[head], state.weights[head], -WEIGHT_MAX, 0, 1, save)
        : slider(head, HEADS[head], state.weights[head], 0, WEIGHT_MAX, 0.5, save))),
    reset, status,
    h("p", {}, h("a", { href: "#/" }, "Back to your feed")));
}
