// The one way this page talks to the server: every request goes through here, so the API key
// (Authorization: Bearer) and the error handling are in one place.

const KEY_STORAGE = "transfergen.apiKey";
export const AUTH_EVENT = "transfergen:auth-required"; // dispatched on window on a 401

export class ApiError extends Error {
  constructor(status, code, message, details = null, retryAfter = null) {
    super(message);
    this.status = status; // 0: no answer from the server
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter; // seconds, from a 429's Retry-After
  }
}

export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || null;
  } catch {
    return null; // storage disabled: work without a key
  }
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

function authHeaders(headers = {}) {
  const key = apiKey();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

/** Path plus query string; parameters that are null or undefined are left out. */
export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** An ApiError from a failed response: the API's error JSON, or words for a status without one. */
export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page): described by the status below
  }
  const retryAfter = Number(response.headers.get("Retry-After")) || null;
  const error = body?.error;
  const fallback = {
    401: "This server needs an API key.",
    403: "Your API key may not do this.",
    429: "Too many requests.",
  }[response.status] ?? `The server answered ${response.status} ${response.statusText}.`;
  if (response.status === 401) window.dispatchEvent(new CustomEvent(AUTH_EVENT));
  return new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? fallback,
    error?.details ?? null, retryAfter);
}

const NETWORK_ERROR = () => new ApiError(0, "network_error", "The server did not answer.");

/** fetch with the key; throws ApiError for a failed request (status 0 when there is no answer). */
export async function send(method, path, { json, body, query, signal, headers } = {}) {
  const init = { method, signal, headers: authHeaders(headers) };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(url(path, query), init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw NETWORK_ERROR();
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

/** A JSON request: the parsed body, or null for 204. */
export async function request(method, path, options = {}) {
  const response = await send(method, path, options);
  return response.status === 204 ? null : response.json();
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, json, options = {}) => request("POST", path, { ...options, json });
export const del = (path, options) => request("DELETE", path, options);

/** POST a multipart form with upload progress (fetch cannot report it): onProgress(loaded, total). */
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded, event.total);
    });
    xhr.addEventListener("error", () => reject(NETWORK_ERROR()));
    xhr.addEventListener("load", async () => {
      const response = new Response(xhr.responseText || null, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { "Content-Type": xhr.getResponseHeader("Content-Type") ?? "", "Retry-After": xhr.getResponseHeader("Retry-After") ?? "" },
      });
      if (response.ok) resolve(await response.json());
      else reject(await errorFrom(response));
    });
    xhr.send(formData);
  });
}

const objectUrls = new Map(); // path -> blob: URL, for images fetched with a key

/**
 * What to put in an <img src> or a download link for an image path. Without a key, the path itself:
 * the browser caches it (ETag, immutable). With a key, <img> cannot send the header, so the image is
 * fetched here and shown from a blob: URL.
 */
export async function imageSrc(path) {
  if (!apiKey()) return path;
  if (!objectUrls.has(path)) {
    const response = await send("GET", path);
    objectUrls.set(path, URL.createObjectURL(await response.blob()));
    if (objectUrls.size > 300) { // keep memory bounded: forget the oldest
      const [oldest, src] = objectUrls.entries().next().value;
      URL.revokeObjectURL(src);
      objectUrls.delete(oldest);
    }
  }
  return objectUrls.get(path);
}

/** Point an <img> at an API image (see imageSrc); a failure shows the image's alt text and a title. */
export async function showImage(img, path) {
  try {
    img.src = await imageSrc(path);
  } catch (error) {
    img.removeAttribute("src");
    img.title = error.message;
  }
}

/** The response of a Server-Sent Events request (read by sse.js); Last-Event-ID resumes after it. */
export function openStream(path, { lastEventId, signal } = {}) {
  const headers = { Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = String(lastEventId);
  return send("GET", path, { signal, headers });
}
