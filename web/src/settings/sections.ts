import { lazy, type ComponentType, type LazyExoticComponent } from "react";

/** Section is one page of Settings; adding a page is adding an entry here. */
export interface Section {
  id: string;
  title: string;
  component: LazyExoticComponent<ComponentType>;
}

export const sections: Section[] = [
  { id: "profile", title: "Profile", component: lazy(() => import("./Profile")) },
  { id: "assistant", title: "Assistant", component: lazy(() => import("./Assistant")) },
  { id: "memory", title: "Memory", component: lazy(() => import("./Memory")) },
  { id: "tasks", title: "Tasks", component: lazy(() => import("./Tasks")) },
  { id: "telegram", title: "Telegram", component: lazy(() => import("./Telegram")) },
  { id: "usage", title: "Usage", component: lazy(() => import("./Usage")) },
  { id: "billing", title: "Billing", component: lazy(() => import("./Billing")) },
  { id: "security", title: "Security", component: lazy(() => import("./Security")) },
  { id: "privacy", title: "Privacy", component: lazy(() => import("./Privacy")) },
  { id: "appearance", title: "Appearance", component: lazy(() => import("./Appearance")) },
];
