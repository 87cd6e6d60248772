import { useEffect, useState } from "react";
import { errorText, get } from "../api";
import { Alert, formatNumber, Spinner, useAsync } from "../components/ui";
import { DeleteAccount } from "./DeleteAccount";
import { dataKind, formatBytes } from "./dataKinds";
import { downloadExport } from "./exportDownload";

/** DataSummary is GET /me/data: every kind of data held about the user (PRIV-1). */
export interface DataSummary {
  sections: { section: string; rows: number; retention?: string }[];
  deletion_grace_days: number;
  export_format_version: number;
}

/** Privacy shows what Ally holds about the user, downloads it, and deletes the account. */
export default function Privacy() {
  const [data, setData] = useState<DataSummary | null>(null);
  const { error, run } = useAsync();
  useEffect(() => {
    run(async () => setData(await get<DataSummary>("/me/data")));
  }, []);
  const grace = data?.deletion_grace_days ?? 30;
  return (
    <>
      <section className="panel" aria-labelledby="held-heading">
        <h2 id="held-heading">Data we hold about you</h2>
        <p className="muted">
          Everything Ally holds about you, and how long it is kept. We do not sell your data, use it for advertising, or train
          other companies' AI models on your conversations. Server logs record requests and errors, never what you write.
        </p>
        {error ? <Alert>{errorText(error)}</Alert> : null}
        {!data && !error && <Spinner />}
        {data && <Held data={data} />}
      </section>
      <Export />
      <DeleteAccount graceDays={grace} />
    </>
  );
}

function Held({ data }: { data: DataSummary }) {
  return (
    <ul className="rows data-kinds" aria-label="Kinds of data">
      {data.sections.map((s) => {
        const k = dataKind(s.section);
        return (
          <li key={s.section} className="row">
            <div>
              <div className="row-title">{k.title}</div>
              {k.what && <div className="muted small">{k.what}</div>}
              <div className="muted small">{s.retention ? `Kept ${s.retention}.` : (k.kept ?? "Kept while you have an account.")}</div>
            </div>
            <span className="data-count" aria-label={`${formatNumber(s.rows)} ${s.rows === 1 ? "item" : "items"}`}>
              {formatNumber(s.rows)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Export() {
  const [bytes, setBytes] = useState<number | null>(null);
  const [saved, setSaved] = useState<{ name: string; bytes: number } | null>(null);
  const { busy, error, run } = useAsync();
  const start = () => {
    setSaved(null);
    setBytes(0);
    run(async () => setSaved(await downloadExport(setBytes))).finally(() => setBytes(null));
  };
  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Download your data</h2>
      <p className="muted">
        One JSON file with everything listed above: your account, conversations and messages, memory files and their history,
        feedback, usage and sign-ins. Your password is never included.
      </p>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {saved && (
        <Alert kind="success">
          Saved {saved.name} ({formatBytes(saved.bytes)}).
        </Alert>
      )}
      <div className="export-actions">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={start}>
          {busy ? "Preparing…" : "Download my data"}
        </button>
        <span className="muted small" role="status">
          {busy && bytes !== null ? (bytes > 0 ? `Downloading… ${formatBytes(bytes)}` : "Starting the download…") : ""}
        </span>
      </div>
    </section>
  );
}
