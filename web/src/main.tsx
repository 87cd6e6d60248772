import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { SessionProvider } from "./session";
import { storage } from "./storage";
import { applyTheme } from "./theme";
import "./styles/base.css";
import "./styles/app.css";

applyTheme(storage.theme());

// Google sign-in comes back with the session token in the URL fragment (never sent to a
// server); keep it and clean the address bar.
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) {
  storage.setToken(hash.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
);
