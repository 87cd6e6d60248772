import { ApiError, request } from "../api";

/**
 * downloadExport fetches GET /me/export (the token is a header, so a plain link cannot
 * carry it), reports the bytes received as they stream in, and hands the finished document
 * to the browser as a file download. It returns the file's name and size.
 */
export async function downloadExport(onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<{ name: string; bytes: number }> {
  const res = await request("GET", "/me/export", undefined, { signal });
  const name = res.headers.get("Content-Disposition")?.match(/filename="([^"]+)"/)?.[1] ?? "ally-export.json";
  const chunks: BlobPart[] = [];
  let bytes = 0;
  const reader = res.body?.getReader();
  if (!reader) throw new ApiError(0, "network", "This browser cannot download the export.");
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      onProgress(bytes);
    }
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw cutShort();
  }
  const blob = new Blob(chunks, { type: "application/json" });
  // The server ends a whole export with "complete": true and cuts the connection when it
  // fails half-way; a document without that ending must not be saved as if it were whole.
  const tail = await blob.slice(Math.max(0, blob.size - 64)).text();
  if (!/"complete"\s*:\s*true\s*}\s*$/.test(tail)) throw cutShort();

  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Free the copy in memory once the browser has surely taken the file.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { name, bytes };
}

const cutShort = () => new ApiError(0, "network", "The download was cut short. Please try again.");
