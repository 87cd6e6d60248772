/** SSEEvent is one Server-Sent Event of a reply stream. */
export interface SSEEvent {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * readEvents parses a text/event-stream body, calling onEvent for each event. It resolves
 * when the stream ends. (EventSource cannot send a POST body or an Authorization header,
 * so the stream is read from fetch.)
 */
export async function readEvents(res: Response, onEvent: (ev: SSEEvent) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let sep: number;
    while ((sep = nextBoundary(buf)) >= 0) {
      const block = buf.slice(0, sep);
      buf = buf.slice(sep).replace(/^(\r?\n){2}/, "");
      const ev = parseBlock(block);
      if (ev) onEvent(ev);
    }
  }
}

function nextBoundary(buf: string): number {
  const a = buf.indexOf("\n\n");
  const b = buf.indexOf("\r\n\r\n");
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function parseBlock(block: string): SSEEvent | null {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  if (data.length === 0) return null;
  const raw = data.join("\n");
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // A non-JSON payload is passed on as text.
  }
  return { id, event, data: parsed };
}
