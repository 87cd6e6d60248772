import { useEffect, useState } from "react";
import { storage, type Theme } from "./storage";

const media = window.matchMedia("(prefers-color-scheme: dark)");

/** applyTheme sets the data-theme attribute the stylesheet keys its colours on. */
export function applyTheme(t: Theme) {
  const dark = t === "dark" || (t === "system" && media.matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

media.addEventListener("change", () => applyTheme(storage.theme()));

/** useTheme returns the chosen theme and a setter that persists it. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(storage.theme());
  useEffect(() => applyTheme(theme), [theme]);
  return [
    theme,
    (t: Theme) => {
      storage.setTheme(t);
      setTheme(t);
    },
  ];
}
