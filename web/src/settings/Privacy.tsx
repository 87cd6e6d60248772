import { useEffect, useState } from "react";
import { get } from "../api";
import { Alert, formatNumber, Spinner, useAsync } from "../components/ui";
import { DeleteAccount } from "./DeleteAccount";
import { dataKind, formatBytes } from "./dataKinds";
import { downloadExport } from "./exportDownload";
import { ErrorAlert } from "../errors";

/** DataSummary is GET /me/data: every kind of data held about the user (PRIV-1). */
export interface DataSummary {
  sections: { section: string; rows: number; retention?: string }[];
  third_parties: ThirdParty[];
  deletion_grace_days: number;
  export_format_version: number;
}

/** ThirdParty is an outside service that processed the user's data, and when. */
export interface ThirdParty {
  name: string;
  receives: string;
  first_at: string;
  last_at: string;
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
        {error ? <ErrorAlert error={error} /> : null}
        {!data && !error && <Spinner />}
        {data && <Held data={data} />}
      </section>
      {data && <ThirdParties parties={data.third_parties} />}
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

const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });

/** ThirdParties lists who processed the user's data, from the user's own records. */
function ThirdParties({ parties }: { parties: ThirdParty[] }) {
  return (
    <section className="panel" aria-labelledby="third-heading">
      <h2 id="third-heading">Services that processed your data</h2>
      <p className="muted">
        The outside services your data went to, what each received and when. None of them may use your conversations to train
        AI models.
      </p>
      {parties.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="rows" aria-label="Services that processed your data">
          {parties.map((p) => (
            <li key={p.name} className="row">
              <div>
                <div className="row-title">{p.name}</div>
                <div className="muted small">Received {p.receives}.</div>
              </div>
              <span className="muted small">
                {day(p.first_at) === day(p.last_at) ? day(p.first_at) : `${day(p.first_at)} – ${day(p.last_at)}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
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
        feedback, usage, sign-ins and the services that processed your data. Your password is never included.
      </p>
      {error ? <ErrorAlert error={error} /> : null}
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
