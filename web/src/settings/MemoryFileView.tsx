import { useEffect, useState } from "react";
import { Markdown } from "../components/Markdown";
import { formatDate, Spinner, useAsync } from "../components/ui";
import { memoryApi, type MemoryFile, type MemoryVersion } from "./memoryApi";
import { ErrorAlert } from "../errors";

// Every action the server records (internal/memory: create, edit, delete, rename, revert),
// plus the tool names older versions carry.
const actionText: Record<string, string> = {
  create: "Created",
  edit: "Edited",
  str_replace: "Edited",
  insert: "Added to",
  delete: "Deleted",
  rename: "Renamed",
  write: "Edited",
  revert: "Restored",
};

/** MemoryFileView shows one memory file, with edit, delete and its versions. */
export function MemoryFileView({ path, onChanged, onDeleted }: { path: string; onChanged: () => void; onDeleted: () => void }) {
  const [file, setFile] = useState<MemoryFile | null>(null);
  const [mode, setMode] = useState<"view" | "edit" | "delete" | "versions">("view");
  const [draft, setDraft] = useState("");
  const { busy, error, run } = useAsync();

  const load = () => run(async () => setFile(await memoryApi.read(path)));
  useEffect(() => {
    load();
  }, [path]);

  if (!file) return <div className="file-view">{error ? <ErrorAlert error={error} /> : <Spinner />}</div>;

  const save = () =>
    run(async () => {
      setFile(await memoryApi.write(path, draft));
      setMode("view");
      onChanged();
    });
  const remove = () =>
    run(async () => {
      await memoryApi.remove(path);
      onDeleted();
    });

  return (
    <div className="file-view">
      {error ? <ErrorAlert error={error} /> : null}
      {mode === "edit" ? (
        <div className="field">
          <label htmlFor="mem-edit" className="sr-only">
            Content of {path}
          </label>
          <textarea id="mem-edit" className="mono" rows={12} value={draft} onChange={(e) => setDraft(e.target.value)} />
        </div>
      ) : (
        <Markdown text={file.content} className="memory-content" />
      )}
      <div className="file-actions">
        {mode === "edit" ? (
          <>
            <button type="button" className="btn btn-primary btn-sm" disabled={busy} onClick={save}>
              Save
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setMode("view")}>
              Cancel
            </button>
          </>
        ) : mode === "delete" ? (
          <>
            <span>Delete this file?</span>
            <button type="button" className="btn btn-danger btn-sm" disabled={busy} onClick={remove} autoFocus>
              Delete
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setMode("view")}>
              Cancel
            </button>
          </>
        ) : (
          <>
            <button type="button" className="btn btn-outline btn-sm" onClick={() => { setDraft(file.content); setMode("edit"); }}>
              Edit
            </button>
            <button type="button" className="btn btn-outline btn-sm" aria-expanded={mode === "versions"} onClick={() => setMode(mode === "versions" ? "view" : "versions")}>
              History
            </button>
            <button type="button" className="btn btn-ghost btn-sm danger-text" onClick={() => setMode("delete")}>
              Delete
            </button>
          </>
        )}
      </div>
      {mode === "versions" && (
        <Versions
          path={path}
          onReverted={() => {
            load();
            onChanged();
            setMode("view");
          }}
        />
      )}
    </div>
  );
}

function Versions({ path, onReverted }: { path: string; onReverted: () => void }) {
  const [list, setList] = useState<MemoryVersion[] | null>(null);
  const [preview, setPreview] = useState<MemoryVersion | null>(null);
  const { busy, error, run } = useAsync();
  useEffect(() => {
    run(async () => setList(await memoryApi.versions(path)));
  }, [path]);
  if (!list) return error ? <ErrorAlert error={error} /> : <Spinner />;
  return (
    <div className="versions">
      {error ? <ErrorAlert error={error} /> : null}
      <h3>History</h3>
      <ol>
        {list.map((v, i) => (
          <li key={v.id}>
            <div className="version-row">
              <span>
                <strong>{actionText[v.action] ?? "Changed"}</strong> by {v.author === "user" ? "you" : "assistant"}
                <span className="muted"> · {formatDate(v.created_at)}</span>
              </span>
              <span className="version-actions">
                {!v.deleted && (
                  <button type="button" className="link-btn" onClick={() => run(async () => setPreview(preview?.id === v.id ? null : await memoryApi.version(v.id)))}>
                    {preview?.id === v.id ? "Hide" : "View"}
                  </button>
                )}
                {i > 0 && (
                  <button type="button" className="link-btn" disabled={busy} onClick={() => run(async () => { await memoryApi.revert(v.id); onReverted(); })}>
                    Restore
                  </button>
                )}
              </span>
            </div>
            {preview?.id === v.id && <pre className="version-preview">{preview.content}</pre>}
          </li>
        ))}
      </ol>
    </div>
  );
}
