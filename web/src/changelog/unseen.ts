import { useEffect, useSyncExternalStore } from "react";
import { storage } from "../storage";
import { changelogApi, type ChangelogEntry } from "./changelogApi";

// What's new remembers, in this browser only (PRIV-8), the id of the newest entry seen:
// entries published after it are unseen.

let entries = null as ChangelogEntry[] | null;
let loading: Promise<void> | null = null;
let seen = storage.changelogSeen();
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((fn) => fn());

function subscribe(fn: () => void) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** loadChangelog fetches the published entries once per page load (again with force). */
export function loadChangelog(force = false): Promise<void> {
  if (loading && !force) return loading;
  loading = changelogApi
    .list()
    .then((list) => {
      entries = list;
      emit();
    })
    .catch(() => {
      loading = null; // try again next time
    });
  return loading;
}

/** unseenCount is how many entries (newest first) come before the last one seen. */
export function unseenCount(list: ChangelogEntry[], lastSeen: string | null): number {
  const i = lastSeen ? list.findIndex((e) => e.id === lastSeen) : -1;
  return i < 0 ? list.length : i;
}

/** markChangelogSeen records the newest entry as seen. */
export function markChangelogSeen() {
  if (!entries || entries.length === 0) return;
  seen = entries[0].id;
  storage.setChangelogSeen(seen);
  emit();
}

let snap: { entries: ChangelogEntry[] | null; seen: string | null } = { entries, seen };
function snapshot() {
  if (snap.entries !== entries || snap.seen !== seen) snap = { entries, seen };
  return snap;
}

/** useChangelog gives the published entries (null while loading) and the unseen count. */
export function useChangelog(): { entries: ChangelogEntry[] | null; unseen: number } {
  const s = useSyncExternalStore(subscribe, snapshot);
  useEffect(() => {
    loadChangelog();
  }, []);
  return { entries: s.entries, unseen: s.entries ? unseenCount(s.entries, s.seen) : 0 };
}
