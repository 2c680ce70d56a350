// Turning the API's error JSON ({"error": {code, message, details}}) into words and per-field notes.

const REJECTION_WORDS = {
  duplicate: "an exact duplicate of another image (kept once)",
  not_an_image: "not an image",
  corrupt_image: "a damaged image file",
  encrypted: "encrypted inside the zip",
  corrupt_archive_entry: "damaged inside the zip",
};

/** Why an uploaded file was skipped, in words: "unsupported_format: TIFF" -> "TIFF is not supported ...". */
export function rejectionText(reason) {
  if (REJECTION_WORDS[reason]) return REJECTION_WORDS[reason];
  const format = /^unsupported_format: (.+)$/.exec(reason);
  if (format) return `${format[1]} images are not supported (use PNG, JPEG, WebP, BMP or GIF)`;
  return reason;
}

/** What went wrong and what to do next, for any error the API client throws. */
export function errorText(error) {
  if (!error || error.status === undefined) return `Something went wrong in this page: ${error?.message ?? error}. Reload to try again.`;
  const { status, code, message } = error;
  if (status === 0) return "Cannot reach the server. Check that it is running (python -m app.serve) and your network, then try again.";
  if (status === 401) return `${message} Enter an API key with “API key” at the top of the page.`;
  if (status === 403) return `${message} Ask the server's operator for a key that may do this, or use another key.`;
  if (status === 429) {
    const wait = error.retryAfter ? `in ${error.retryAfter} s` : "in a moment";
    return `${message} Try again ${wait}.`;
  }
  if (code === "queue_unavailable") return `${message} The server's Redis is down; ask its operator to check REDIS_URL.`;
  if (status === 413) return `${message} Upload fewer or smaller files, or split the set in several zips.`;
  if (code === "validation_error") {
    const fields = [...fieldErrors(error)].map(([field, note]) => `${field}: ${note}`);
    return fields.length ? `Some values are not accepted — ${fields.join("; ")}.` : message;
  }
  if (status >= 500) return `The server failed (${code}): ${message} Try again; if it keeps failing, check the server's log.`;
  return message;
}

/** validation_error details -> Map(field name -> message); loc is ["body", "steps"] or ["query", "x"]. */
export function fieldErrors(error) {
  const notes = new Map();
  if (error?.code !== "validation_error" || !Array.isArray(error.details)) return notes;
  for (const detail of error.details) {
    const loc = Array.isArray(detail.loc) ? detail.loc.filter((part) => part !== "body" && part !== "query") : [];
    const field = loc.length ? String(loc[0]) : "request";
    const text = String(detail.msg ?? "not valid").replace(/^Value error, /, "");
    notes.set(field, notes.has(field) ? `${notes.get(field)}; ${text}` : text);
  }
  return notes;
}
