// Talking to the daemon: relative URLs only (the UI may live under a
// reverse proxy's sub-path), and every POST carries the CSRF token.

let csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

export function processPath(namespec) {
  return `api/v1/processes/${encodeURIComponent(namespec)}`;
}

async function parse(resp) {
  let body = null;
  const text = await resp.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!resp.ok) {
    if (body && body.name) throw new ApiError(resp.status, body.name, body.message);
    const hint = resp.status === 401 ? "not authorised (log in again)" : text.trim().slice(0, 200);
    throw new ApiError(resp.status, `HTTP_${resp.status}`, hint || resp.statusText);
  }
  return body;
}

export async function getJSON(path) {
  const resp = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  return parse(resp);
}

async function refreshToken() {
  const body = await getJSON("api/v1/csrf");
  csrfToken = body.token;
}

export async function postJSON(path, body = {}, retried = false) {
  const resp = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken },
    body: JSON.stringify(body),
  });
  try {
    return await parse(resp);
  } catch (err) {
    // The daemon restarted (new secret) since this page loaded: fetch the
    // new token — same-origin only — and try once more.
    if (!retried && err instanceof ApiError && err.name === "CSRF_REJECTED") {
      await refreshToken();
      return postJSON(path, body, true);
    }
    throw err;
  }
}
