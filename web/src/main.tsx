import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { SessionProvider } from "./session";
import { storage } from "./storage";
import { applyTheme } from "./theme";
import "./styles/base.css";
import "./styles/auth.css";
import "./styles/chat.css";
import "./styles/composer.css";
import "./styles/markdown.css";
import "./styles/settings.css";
import "./styles/changelog.css";
import "./styles/mobile.css";

applyTheme(storage.theme());

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SessionProvider>
      <App />
    </SessionProvider>
  </StrictMode>,
);
