import { storage } from "./storage";

/** ApiError is an error response of the API: {"error":{"code","message","field","details"}}. */
export class ApiError extends Error {
  status: number;
  code: string;
  field?: string;
  details?: Record<string, unknown>;
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
    e.message ?? `The server answered ${res.status}. Please try again.`,
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
    if (res.status === 401 && token) unauthorized.forEach((fn) => fn());
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

/** errorText is what to show a person for an error. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "rate_limited") {
      const s = Number(err.details?.retry_after_seconds);
      if (s > 0) return `${err.message} Try again in ${formatWait(s)}.`;
    }
    return err.message;
  }
  return "Something went wrong. Please try again.";
}

export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}
