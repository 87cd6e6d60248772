import { del, get, patch, post } from "../api";
import type { Schedule, Task, TaskInput, TaskRun } from "../types";

/** tasksApi is the tasks part of the HTTP API (SPEC §15 "Tasks"). */
export const tasksApi = {
  list: () => get<{ tasks: Task[]; projected_tokens_month?: number }>("/tasks"),
  create: (t: TaskInput) => post<Task>("/tasks", t),
  update: (id: string, t: Partial<TaskInput> | Record<string, unknown>) => patch<Task>(`/tasks/${encodeURIComponent(id)}`, t),
  remove: (id: string) => del(`/tasks/${encodeURIComponent(id)}`),
  run: (id: string) => post<{ run: TaskRun }>(`/tasks/${encodeURIComponent(id)}/run`),
  runs: (id: string) => get<{ runs: TaskRun[] }>(`/tasks/${encodeURIComponent(id)}/runs`),
  preview: (schedule: Schedule, timezone: string) => post<{ next: string[] }>("/tasks/preview", { schedule, timezone }),
};

export const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export const channelNames: Record<string, string> = { in_app: "In-app", email: "Email", telegram: "Telegram" };

export const zoneName = (z: string) => z.replace(/_/g, " ");

/** zones is every IANA timezone the browser knows. */
export const zones: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
})();

/** formatInZone shows an instant as the wall time of a timezone, e.g. "Mon, 16 Mar 2026, 08:00". */
export function formatInZone(iso: string | null | undefined, timezone: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  const opts: Intl.DateTimeFormatOptions = { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  try {
    return d.toLocaleString(undefined, { ...opts, timeZone: timezone });
  } catch {
    return d.toLocaleString(undefined, opts);
  }
}

/** describeSchedule says when a task runs, in words. */
export function describeSchedule(s: Schedule): string {
  switch (s.kind) {
    case "once": {
      const [date, time] = (s.at ?? "").split("T");
      return `Once, on ${date} at ${time ?? ""}`.trim();
    }
    case "daily":
      return `Every day at ${s.time}`;
    case "weekdays":
      return `Weekdays at ${s.time}`;
    case "weekly":
      return `Every ${weekdays[s.weekday] ?? "week"} at ${s.time}`;
    case "monthly":
      return `Monthly on day ${s.day}${s.day > 28 ? " (or the last day)" : ""} at ${s.time}`;
    case "cron":
      return `Cron: ${s.cron}`;
    default:
      return "Custom schedule";
  }
}
