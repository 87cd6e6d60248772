import { useEffect, useMemo, useReducer, type MouseEvent } from "react";
import { onHighlighterReady, renderMarkdown } from "./markdown";

/** Markdown shows sanitised markdown, with a copy button on each code block. */
export function Markdown({ text, className = "" }: { text: string; className?: string }) {
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => onHighlighterReady(bump), []);
  // version changes once the highlighter has loaded: render again with colours.
  const html = useMemo(() => renderMarkdown(text), [text, version]);

  const click = (e: MouseEvent<HTMLDivElement>) => {
    const btn = (e.target as HTMLElement).closest("button[data-copy]");
    if (!btn) return;
    const code = btn.closest(".code-block")?.querySelector("code")?.textContent ?? "";
    copyText(code).then((ok) => {
      btn.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => (btn.textContent = "Copy"), 1500);
    });
  };

  return <div className={"markdown " + className} onClick={click} dangerouslySetInnerHTML={{ __html: html }} />;
}

/** copyText puts text on the clipboard, resolving to whether it worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
