import { useState } from "react";
import { errorText, post } from "../api";
import { Alert } from "../components/ui";

/** Jobs opens the job-queue console (River UI): it first gets the console's short-lived cookie. */
export default function Jobs() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const open = async () => {
    setBusy(true);
    setError("");
    try {
      const r = await post<{ url: string }>("/admin/jobs/session");
      location.assign(r.url);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      <p>
        The job queue's console shows queued, running, failed and finished jobs, and lets you retry or cancel them. It opens with a first-party cookie that lasts 15 minutes without use and ends when you sign out.
      </p>
      {error && <Alert>{error}</Alert>}
      <button className="btn btn-primary" type="button" onClick={() => void open()} disabled={busy}>
        Open the job queue
      </button>
    </section>
  );
}
