import { useCallback, useEffect, useState } from "react";
import { get, put } from "../api";
import { formatDate, Spinner, useAsync } from "../components/ui";
import { preferencesBody, type Preferences } from "../types";
import { MemoryFileView } from "./MemoryFileView";
import { memoryApi, type MemoryTree } from "./memoryApi";
import { ErrorAlert } from "../errors";

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

/** Memory lets the person read, edit and delete what the assistant remembers (MEM-2, MEM-3). */
export default function Memory() {
  const [tree, setTree] = useState<MemoryTree | null>(null);
  const [open, setOpen] = useState("");
  const load = useAsync();

  const reload = useCallback(() => load.run(async () => setTree(await memoryApi.tree())), [load]);
  useEffect(() => {
    reload();
  }, []);

  return (
    <>
      <MemorySwitch />
      <section className="panel">
        <h2>Memory files</h2>
        <p className="muted">What your assistant has written down about you. Every change is kept as a version you can restore.</p>
        {load.error ? <ErrorAlert error={load.error} /> : null}
        {!tree && !load.error && <Spinner />}
        {tree && tree.files.length === 0 && <p className="empty-note">Nothing saved yet. Ask your assistant to remember something.</p>}
        {tree && tree.files.length > 0 && (
          <>
            <ul className="file-list">
              {tree.files.map((f) => (
                <li key={f.path}>
                  <button type="button" className={"file-row" + (open === f.path ? " selected" : "")} aria-expanded={open === f.path} onClick={() => setOpen(open === f.path ? "" : f.path)}>
                    <span className="file-path">{f.path.replace(/^\/memories\//, "")}</span>
                    <span className="file-meta">
                      {kb(f.size)} · {formatDate(f.updated_at)}
                    </span>
                  </button>
                  {open === f.path && (
                    <MemoryFileView
                      path={f.path}
                      onChanged={reload}
                      onDeleted={() => {
                        setOpen("");
                        reload();
                      }}
                    />
                  )}
                </li>
              ))}
            </ul>
            {tree.limits?.max_total_bytes ? (
              <p className="muted small">
                Using {kb(tree.total_bytes)} of {kb(tree.limits.max_total_bytes)}.
              </p>
            ) : null}
          </>
        )}
      </section>
    </>
  );
}

function MemorySwitch() {
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const { error, run } = useAsync();
  useEffect(() => {
    run(async () => setPrefs(await get<Preferences>("/me/preferences")));
  }, []);
  if (!prefs) return error ? <ErrorAlert error={error} /> : null;
  // The switch moves at once; it moves back if the server refuses.
  const toggle = (on: boolean) => {
    const before = prefs;
    setPrefs({ ...prefs, memory_enabled: on });
    run(async () => {
      try {
        setPrefs(await put<Preferences>("/me/preferences", preferencesBody({ ...before, memory_enabled: on })));
      } catch (err) {
        setPrefs(before);
        throw err;
      }
    });
  };
  return (
    <section className="panel">
      {error ? <ErrorAlert error={error} /> : null}
      <label className="switch-row">
        <input type="checkbox" role="switch" checked={prefs.memory_enabled} onChange={(e) => toggle(e.target.checked)} />
        <span>
          <strong>Use memory</strong>
          <span className="muted small block">When off, your assistant neither reads nor writes memory. Your files stay until you delete them.</span>
        </span>
      </label>
    </section>
  );
}
