// Requests to the JSON API of robomask/annotator/server.py. Paths are relative to the
// page, so the page also works behind a proxy that adds a prefix.
const TOKEN = new URLSearchParams(location.search).get("token");

// URL of an API path with query parameters and, when the page has one, the token.
export function api(path, query) {
  const u = new URL(path, location.href);
  u.search = "";
  for (const [k, v] of Object.entries(query || {})) u.searchParams.set(k, v);
  if (TOKEN) u.searchParams.set("token", TOKEN);
  return u.toString();
}

// The server's one-line message of a failed response.
export async function errorText(resp) {
  try {
    const body = await resp.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (e) {
    return `HTTP ${resp.status}`;
  }
}

// JSON request; throws an Error with the server's message on a 4xx/5xx.
export async function call(method, path, body) {
  const resp = await fetch(api(path), {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!resp.ok) throw new Error(await errorText(resp));
  return resp.json();
}
