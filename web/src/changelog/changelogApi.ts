import { api } from "../api";

/** ChangelogEntry is a published entry as GET /api/v1/changelog lists it. */
export type ChangelogEntry = {
  id: string;
  title: string;
  body: string;
  published_at: string | null;
  policy_change: boolean;
  effective_at: string | null;
};

/** AdminEntry is an entry as admins see it, drafts included. */
export type AdminEntry = ChangelogEntry & {
  status: "draft" | "published";
  author_id: string;
  created_at: string;
  updated_at: string;
};

/** Draft is what the editor sends (only the fields given change). */
export type Draft = { title?: string; body?: string; policy_change?: boolean; effective_at?: string };

/** Notices is the progress of a policy change's email to every active user. */
export type Notices = {
  started: boolean;
  total: number;
  queued: number;
  sent: number;
  failed: number;
  pending: number;
  skipped: number;
  batches: number;
  batches_done: number;
};

/** PolicyPage is /privacy or /terms as shown, placeholders filled. */
export type PolicyPage = {
  document: "privacy" | "terms";
  version: number;
  body: string;
  operator_name: string;
  privacy_contact: string;
  last_updated: string;
  upcoming: ChangelogEntry | null;
};

export const changelogApi = {
  list: () => api<{ entries: ChangelogEntry[] }>("GET", "/changelog").then((r) => r.entries),
  policy: (doc: string) => api<PolicyPage>("GET", `/policy/${encodeURIComponent(doc)}`),
  admin: {
    list: () => api<{ entries: AdminEntry[] }>("GET", "/admin/changelog").then((r) => r.entries),
    create: (d: Draft) => api<AdminEntry>("POST", "/admin/changelog", d),
    update: (id: string, d: Draft) => api<AdminEntry>("PATCH", `/admin/changelog/${encodeURIComponent(id)}`, d),
    remove: (id: string) => api<void>("DELETE", `/admin/changelog/${encodeURIComponent(id)}`),
    publish: (id: string) => api<AdminEntry>("POST", `/admin/changelog/${encodeURIComponent(id)}/publish`),
    notices: (id: string) => api<Notices>("GET", `/admin/changelog/${encodeURIComponent(id)}/notices`),
  },
};

/** formatDay shows a date (an effective date is a day, in UTC). */
export function formatDay(s: string | null): string {
  if (!s) return "";
  return new Date(s).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}
