// The one WebSocket of a signed-in tab (`GET /v1/ws`): live messages and read receipts, handed to
// whichever screens listen. It reconnects with a growing pause; screens re-read what they show on a
// reconnect, since events sent while it was down are not replayed.
import { liveUrl, session } from "./api.js";

const listeners = new Set();
let socket = null;
let retry = 500;
let wanted = false;

export function onLive(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const isLive = () => socket?.readyState === WebSocket.OPEN;

function emit(event) {
  for (const listener of [...listeners]) listener(event);
}

export function connectLive() {
  wanted = true;
  if (socket || !session.token) return;
  socket = new WebSocket(liveUrl());
  socket.addEventListener("open", () => { retry = 500; emit({ type: "connected" }); });
  socket.addEventListener("message", (message) => {
    try { emit(JSON.parse(message.data)); } catch { /* not ours */ }
  });
  socket.addEventListener("close", (event) => {
    socket = null;
    emit({ type: "disconnected" });
    if (event.code === 4401) { window.dispatchEvent(new Event("pixelrank:signed-out")); return; }
    if (wanted) setTimeout(connectLive, retry = Math.min(retry * 2, 15000));
  });
}

export function disconnectLive() {
  wanted = false;
  socket?.close();
  socket = null;
}
