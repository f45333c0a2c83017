// The public API over fetch: the bearer token, JSON bodies, and errors as the API words them.
const TOKEN = "pixelrank.token";
const ME = "pixelrank.me";

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  get me() { return localStorage.getItem(ME); },
  save(token, me) { localStorage.setItem(TOKEN, token); localStorage.setItem(ME, me); },
  clear() { localStorage.removeItem(TOKEN); localStorage.removeItem(ME); },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detailText(detail) || `request failed (${status})`);
    this.status = status;
  }
}

// FastAPI's 422 detail is a list of {loc, msg}; everything else is a string.
function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg}`.replace(/^: /, "")).join("; ");
  return "";
}

function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = authHeaders();
  let body;
  if (form) body = new URLSearchParams(form);
  else if (json !== undefined) { body = JSON.stringify(json); headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, { method, headers, body });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && session.token) window.dispatchEvent(new Event("pixelrank:signed-out"));
  if (!response.ok) throw new ApiError(response.status, data?.detail);
  return data;
}

export const qs = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== null && v !== undefined);
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
};

// XMLHttpRequest, not fetch: only it reports upload progress.
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/media");
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* a proxy's HTML error page */ }
      if (xhr.status === 201) resolve(data);
      else reject(new ApiError(xhr.status, data?.detail));
    };
    xhr.onerror = () => reject(new ApiError(0, "network error: the upload did not reach the server"));
    const body = new FormData();
    body.append("file", file);
    xhr.send(body);
  });
}

export function liveUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/v1/ws?token=${encodeURIComponent(session.token ?? "")}`;
}
