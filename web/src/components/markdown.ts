import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

type Highlighter = typeof import("./highlight").default;

let hljs: Highlighter | null = null;
let loading: Promise<void> | null = null;
const waiting = new Set<() => void>();

/** onHighlighterReady calls fn once the highlighter has loaded (for a re-render). */
export function onHighlighterReady(fn: () => void): () => void {
  waiting.add(fn);
  return () => waiting.delete(fn);
}

function loadHighlighter() {
  loading ??= import("./highlight").then((m) => {
    hljs = m.default;
    waiting.forEach((fn) => fn());
  });
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function highlight(code: string, lang: string): string {
  if (!hljs) {
    loadHighlighter();
    return escape(code);
  }
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    return hljs.highlightAuto(code).value;
  } catch {
    return escape(code);
  }
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in a reply or a memory file is shown as text, as written: never parsed as
    // markup (so it can neither run nor restyle the page, and the browser never even sees
    // an event-handler attribute to refuse).
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escape(text);
    },
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
      return (
        `<div class="code-block"><div class="code-head"><span>${escape(language || "code")}</span>` +
        `<button type="button" class="copy-code" data-copy="">Copy</button></div>` +
        `<pre><code class="hljs">${highlight(text, language)}</code></pre></div>`
      );
    },
  },
});

// Links open in a new tab without giving it a handle on this one.
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/**
 * renderMarkdown turns model output or memory text into safe HTML (SEC-2): GFM markdown
 * with raw HTML escaped, then DOMPurify as a second line of defence removes anything
 * active that markdown itself can produce (javascript: links, for one).
 */
export function renderMarkdown(src: string): string {
  const html = marked.parse(src, { async: false }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    ADD_ATTR: ["target"],
    FORBID_TAGS: ["style", "form", "input", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style", "srcset"],
  });
}
