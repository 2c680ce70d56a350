// Server-Sent Events over fetch. EventSource would be shorter, but it cannot send an Authorization
// header (API keys) and only resumes with Last-Event-ID on its own reconnects, not after a reload.

import { openStream } from "./api.js";

/** Incremental parser of the text/event-stream format (WHATWG HTML, "Server-sent events"). */
export class SSEParser {
  constructor() {
    this.buffer = "";
    this.id = null; // the last event id: kept from message to message, as the standard says
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
  }

  /** Feed a chunk of text; returns the messages it completed: [{event, data, id}]. */
  push(chunk) {
    this.buffer += chunk;
    const messages = [];
    let newline;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const eol = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      if (eol === 1 && this.buffer[newline] === "\r" && newline === this.buffer.length - 1) break; // maybe \r\n split
      this.buffer = this.buffer.slice(newline + eol);
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  line(line) {
    if (line === "") { // a blank line dispatches the message, if it has data
      const message = this.data.length ? { event: this.event || "message", data: this.data.join("\n"), id: this.id } : null;
      this.reset();
      return message;
    }
    if (line.startsWith(":")) return null; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return null; // "retry" and unknown fields: ignored (reconnects are timed by the caller)
  }
}

/**
 * The messages of one SSE connection, as they arrive; ends when the server closes the stream.
 * `onBytes` is called for every chunk (comments included), so a caller can tell a quiet stream from a dead one.
 */
export async function* streamEvents(path, { lastEventId, signal, onBytes } = {}) {
  const response = await openStream(path, { lastEventId, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onBytes?.();
      yield* parser.push(value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
