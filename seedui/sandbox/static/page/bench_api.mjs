// The Bench's calls to the app's documented endpoints (/bench_suite, /bench_generate), through Gradio's
// plain HTTP API: POST gradio_api/call/<name> gives an event id, GET on it streams the event's messages
// (server-sent events) until "complete" or "error". Aborting the GET (Stop) makes Gradio drop the event,
// which cancels a generation still running.

/** A request the server refused, with its message (a bad suite file, a rate limit, an unknown lane). */
export class ApiError extends Error {
  constructor(message, busy = false) {
    super(message);
    this.busy = busy; // the server's queue was full: worth asking again shortly
  }
}

/** The app's gradio_api/ folder: from Gradio's own config (the root it was reached at), else the page's. */
export function apiBase() {
  const root = (window.gradio_config && window.gradio_config.root) || document.baseURI;
  return new URL("gradio_api/", root.endsWith("/") ? root : root + "/").href;
}

/**
 * The last ``complete`` message's first value, or an ApiError with the ``error`` message's text.
 * @param {string} text  the whole event stream
 */
export function readEvents(text) {
  let event = null;
  let last;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("event:")) {
      event = line.slice(6).trim();
    } else if (line.startsWith("data:") && (event === "complete" || event === "error")) {
      let data = null;
      try {
        data = JSON.parse(line.slice(5).trim());
      } catch (err) {
        data = line.slice(5).trim();
      }
      if (event === "error") {
        const said = data && typeof data === "object" ? data.error || data.message : data;
        throw new ApiError(said ? String(said) : "the server refused the request (it gave no reason)");
      }
      last = Array.isArray(data) ? data[0] : data;
    }
  }
  if (last === undefined) throw new ApiError("the server's answer ended before its result");
  return last;
}

/** Call endpoint ``name`` with ``data`` (its parameters, in order); ``signal`` aborts it. */
export async function callApi(name, data, signal) {
  const url = apiBase() + "call/" + name;
  const posted = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data }),
    signal,
  });
  if (posted.status === 503) throw new ApiError(`${name}: the server's queue is full; try again shortly`, true);
  if (!posted.ok) throw new ApiError(`${name}: HTTP ${posted.status}: ${(await posted.text()).slice(0, 300)}`);
  const { event_id: eventId } = await posted.json();
  const stream = await fetch(`${url}/${encodeURIComponent(eventId)}`, { signal });
  if (!stream.ok) throw new ApiError(`${name}: HTTP ${stream.status}`);
  return readEvents(await stream.text());
}
