import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, get, onUnauthorized, post } from "./api";
import { storage } from "./storage";
import type { User } from "./types";

interface Session {
  /** user is the signed-in account; null when signed out, undefined while loading. */
  user: User | null | undefined;
  /** ended is true once the server refused the session token (expired, revoked, invalid). */
  ended: boolean;
  signIn: (token: string, user?: User) => Promise<void>;
  signOut: (everywhere?: boolean) => Promise<void>;
  /** forget drops the token without asking the server: for a session the server already ended. */
  forget: () => void;
  refresh: () => Promise<void>;
  setUser: (u: User) => void;
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(storage.token() ? undefined : null);
  const [ended, setEnded] = useState(false);

  const refresh = useCallback(async () => {
    if (!storage.token()) {
      setUser(null);
      return;
    }
    try {
      setUser(await get<User>("/me"));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        storage.setToken(null);
        setEnded(true);
        setUser(null);
      } else {
        throw err;
      }
    }
  }, []);

  useEffect(() => {
    refresh().catch(() => setUser(null));
    return onUnauthorized(() => {
      storage.setToken(null);
      setEnded(true);
      setUser(null);
    });
  }, [refresh]);

  const signIn = useCallback(
    async (token: string, u?: User) => {
      storage.setToken(token);
      setEnded(false);
      if (u) setUser(u);
      else await refresh();
    },
    [refresh],
  );

  const signOut = useCallback(async (everywhere = false) => {
    try {
      await post(everywhere ? "/auth/logout-all" : "/auth/logout");
    } catch {
      // The token is dropped below whatever the server said: signing out always works here.
    }
    storage.setToken(null);
    setUser(null);
  }, []);

  const forget = useCallback(() => {
    storage.setToken(null);
    setUser(null);
  }, []);

  return <Ctx.Provider value={{ user, ended, signIn, signOut, forget, refresh, setUser }}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

export interface PublicConfig {
  google_enabled: boolean;
  /** require_verified_email: whether chatting waits for a confirmed address. */
  require_verified_email: boolean;
}

let configPromise: Promise<PublicConfig> | null = null;

/** publicConfig is what the server tells signed-out visitors (e.g. whether Google sign-in is on). */
export function publicConfig(): Promise<PublicConfig> {
  configPromise ??= get<PublicConfig>("/config").catch(() => ({ google_enabled: false, require_verified_email: true }));
  return configPromise;
}

/** usePublicConfig returns the public configuration once loaded. */
export function usePublicConfig(): PublicConfig | null {
  const [c, setC] = useState<PublicConfig | null>(null);
  useEffect(() => {
    publicConfig().then(setC);
  }, []);
  return c;
}
