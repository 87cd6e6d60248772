import { storage } from "./storage";

/** ApiError is an error response of the API: {"error":{"code","message","field","details"}}. */
export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;
  details?: Record<string, unknown>;
  /** at is when the answer came (Date.now()), to count a Retry-After down from. */
  at = Date.now();
  constructor(status: number, code: string, message: string, field?: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details;
  }
}

type Listener = () => void;
const unauthorized = new Set<Listener>();

/** onUnauthorized registers a callback for a 401 on an authenticated request (session gone). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; field?: string; details?: Record<string, unknown> } } = {};
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy error page): fall through to a generic message.
  }
  const e = body.error ?? {};
  const retry = res.headers.get("Retry-After");
  const details = { ...(e.details ?? {}) };
  if (retry && details.retry_after_seconds === undefined) details.retry_after_seconds = retry;
  return new ApiError(
    res.status,
    e.code ?? (res.status >= 500 ? "internal" : "error"),
    e.message ?? (res.status >= 500 ? "" : `The server answered ${res.status}. Try again.`),
    e.field,
    details,
  );
}

/** request sends a JSON request to the API with the session token, if any. */
export async function request(method: string, path: string, body?: unknown, init?: RequestInit): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...(init?.headers as Record<string, string> | undefined) };
  const token = storage.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch("/api/v1" + path, {
      ...init,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network", "Cannot reach the server. Check your connection and try again.");
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && token) {
      unauthorized.forEach((fn) => fn());
      // A token the server no longer accepts: the session ended, whatever the cause.
      throw new ApiError(401, "session_ended", err.message, err.field, err.details);
    }
    throw err;
  }
  return res;
}

/** api sends a request and decodes the JSON answer (undefined for 204). */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T,>(path: string) => api<T>("GET", path);
export const post = <T,>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});
export const put = <T,>(path: string, body?: unknown) => api<T>("PUT", path, body ?? {});
export const patch = <T,>(path: string, body?: unknown) => api<T>("PATCH", path, body ?? {});
export const del = <T,>(path: string) => api<T>("DELETE", path);

/** errorText is what to show a person for an error (the sentences live in errors.tsx). */
export { messageFor as errorText } from "./errors";

/** formatWait is a wait in words ("5 minutes"), for refusals that are not counted down. */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}
