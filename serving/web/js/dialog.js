// A modal on the native <dialog>: focus moves in and back, Escape closes, and the page behind is inert.
import { h } from "./dom.js";

export function openDialog(title, content, { onClose, className = "" } = {}) {
  const opener = document.activeElement;
  const close = h("button", { class: "close", "aria-label": "Close", onclick: () => dialog.close() }, "✕");
  const dialog = h("dialog", { class: className, "aria-label": title },
    h("header", {}, h("h2", {}, title), close), h("div", { class: "body" }, content));
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });  // the backdrop
  dialog.addEventListener("close", () => { dialog.remove(); onClose?.(); opener?.focus?.(); });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
