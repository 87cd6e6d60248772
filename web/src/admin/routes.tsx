import { lazy, type ComponentType, type LazyExoticComponent } from "react";

/** AdminPage is one page of the admin area; each is its own chunk, loaded when opened. */
export interface AdminPage {
  id: string;
  title: string;
  component: LazyExoticComponent<ComponentType>;
}

/** adminPages lists the admin area's pages in the order of its navigation. */
export const adminPages: AdminPage[] = [
  { id: "users", title: "Users", component: lazy(() => import("./Users")) },
  { id: "analytics", title: "Analytics", component: lazy(() => import("./Analytics")) },
  { id: "changelog", title: "Changelog", component: lazy(() => import("./ChangelogEditor")) },
  { id: "outbox", title: "Outbox", component: lazy(() => import("./Outbox")) },
  { id: "queue", title: "Jobs", component: lazy(() => import("./Jobs")) },
  { id: "audit", title: "Audit log", component: lazy(() => import("./Audit")) },
];
