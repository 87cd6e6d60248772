// Everything the app keeps in the browser (PRIV-8): the session token and UI preferences.
// Nothing else is ever written to browser storage.

const TOKEN = "ally.token";
const THEME = "ally.theme";
const CHANGELOG = "ally.changelogSeen";

export type Theme = "light" | "dark" | "system";

function get(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage can be unavailable (private mode); the app still works for this tab.
  }
}

export const storage = {
  token: () => get(TOKEN),
  setToken: (t: string | null) => set(TOKEN, t),
  theme: (): Theme => {
    const t = get(THEME);
    return t === "light" || t === "dark" ? t : "system";
  },
  setTheme: (t: Theme) => set(THEME, t === "system" ? null : t),
  changelogSeen: () => get(CHANGELOG),
  setChangelogSeen: (v: string) => set(CHANGELOG, v),
};
