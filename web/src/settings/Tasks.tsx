import { useCallback, useEffect, useState } from "react";
import { useConversations } from "../chat/conversations";
import { Alert, formatNumber, Spinner } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import type { Task, TaskRun } from "../types";
import { TaskForm } from "./TaskForm";
import { channelNames, describeSchedule, formatInZone, tasksApi, zoneName } from "./tasksApi";
import { ErrorAlert } from "../errors";

const statusNames: Record<string, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  missed: "Missed",
};
const deliveryNames: Record<string, string> = { pending: "pending", sent: "sent", failed: "failed" };
// A run is settled once it finished and none of its deliveries is still on its way.
const settled = (r: TaskRun) => r.status !== "queued" && r.status !== "running" && !(r.deliveries ?? []).some((d) => d.status === "pending");
const POLL_MS = 1000;
const MAX_POLLS = 120;

/** Tasks lists scheduled tasks and builds, edits, pauses, runs and deletes them (TASK-1, TASK-2). */
export default function Tasks() {
  const { user } = useSession();
  const [data, setData] = useState<{ tasks: Task[]; projected: number | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState("");

  const reload = useCallback(async () => {
    try {
      const res = await tasksApi.list();
      setData({ tasks: res.tasks ?? [], projected: typeof res.projected_tokens_month === "number" ? res.projected_tokens_month : null });
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);

  const defaultZone = user?.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  return (
    <>
      <section className="panel" aria-labelledby="tasks-heading">
        <div className="panel-head">
          <h2 id="tasks-heading">Tasks</h2>
          {!creating && (
            <button type="button" className="btn btn-primary btn-sm" onClick={() => { setCreating(true); setNotice(""); }}>
              New task
            </button>
          )}
        </div>
        <p className="muted">Your assistant does these on a schedule, in their own conversation, and sends you the result.</p>
        {error ? <ErrorAlert error={error} /> : null}
        {notice && <Alert kind="success">{notice}</Alert>}
        {data && data.projected !== null && (
          <div className="stats">
            <div className="stat">
              <span className="stat-label">Projected tokens this month</span>
              <span className="stat-value">{formatNumber(data.projected)}</span>
            </div>
            <div className="stat">
              <span className="stat-label">Active tasks</span>
              <span className="stat-value">{data.tasks.filter((t) => t.enabled).length}</span>
            </div>
          </div>
        )}
        {creating && (
          <TaskForm
            defaultZone={defaultZone}
            onCancel={() => setCreating(false)}
            onSaved={(t) => {
              setCreating(false);
              setNotice(`Created “${t.title}”.`);
              reload();
            }}
          />
        )}
        {!data && !error && <Spinner />}
        {data && data.tasks.length === 0 && !creating && <p className="empty-note">No tasks yet. Create one here, or ask your assistant: “every weekday at 8, send me …”.</p>}
      </section>
      {data && data.tasks.length > 0 && (
        <ul className="task-list" aria-label="Your tasks">
          {data.tasks.map((t) => (
            <TaskCard key={t.id} task={t} defaultZone={defaultZone} onChanged={reload} onDeleted={(title) => { setNotice(`Deleted “${title}”.`); reload(); }} />
          ))}
        </ul>
      )}
    </>
  );
}

function TaskCard({ task, defaultZone, onChanged, onDeleted }: { task: Task; defaultZone: string; onChanged: () => void; onDeleted: (title: string) => void }) {
  const [mode, setMode] = useState<"view" | "edit" | "delete">("view");
  const [history, setHistory] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [info, setInfo] = useState("");
  const [historyKey, setHistoryKey] = useState(0);
  const convs = useConversations();
  const headingId = `task-${task.id}-h`;

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setInfo("");
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const runNow = () =>
    act(async () => {
      await tasksApi.run(task.id);
      setInfo("Run started. Its result goes to the task's conversation.");
      setHistory(true);
      setHistoryKey((k) => k + 1);
    });
  const setEnabled = (on: boolean) =>
    act(async () => {
      await tasksApi.update(task.id, { enabled: on });
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await tasksApi.remove(task.id);
      onDeleted(task.title);
    });

  if (mode === "edit") {
    return (
      <li className="panel task-card">
        <TaskForm
          task={task}
          defaultZone={defaultZone}
          onCancel={() => setMode("view")}
          onSaved={() => {
            setMode("view");
            setInfo("Saved.");
            onChanged();
          }}
        />
      </li>
    );
  }

  const est = task.estimate;
  const last = task.last_run;
  return (
    <li className="panel task-card" aria-labelledby={headingId}>
      <div className="task-head">
        <h3 id={headingId} className="task-title">
          {task.title}
        </h3>
        {task.enabled ? <span className="badge badge-ok">Active</span> : <span className="badge badge-muted">Paused</span>}
      </div>
      <p className="task-instruction">{task.instruction}</p>
      <dl className="task-facts">
        <div>
          <dt>When</dt>
          <dd>
            {describeSchedule(task.schedule)} ({zoneName(task.timezone)})
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd>{task.enabled && task.next_run_at ? formatInZone(task.next_run_at, task.timezone) : task.enabled ? "None scheduled" : "Paused"}</dd>
        </div>
        {est && (
          <div>
            <dt>Estimate</dt>
            <dd>
              about {formatNumber(est.tokens_per_run)} tokens a run · {formatNumber(est.runs_per_month)} {est.runs_per_month === 1 ? "run" : "runs"} a month
            </dd>
          </div>
        )}
        <div>
          <dt>Sends to</dt>
          <dd>{task.channels.map((c) => channelNames[c] ?? c).join(", ") || "Nowhere"}</dd>
        </div>
        {last && (
          <div>
            <dt>Last run</dt>
            <dd>
              <StatusBadge status={last.status} /> {formatInZone(last.finished_at || last.started_at || last.scheduled_for, task.timezone)}
            </dd>
          </div>
        )}
      </dl>
      {!task.enabled && task.disabled_reason && (
        <Alert kind="warning">
          Ally paused this task: {task.disabled_reason} The run history shows what went wrong; resume it when it is fixed.
        </Alert>
      )}
      {last?.status === "failed" && last.error && task.enabled && <p className="inline-error">Last run failed: {last.error}</p>}
      {error ? <ErrorAlert error={error} /> : null}
      {info && <Alert kind="info">{info}</Alert>}
      {mode === "delete" ? (
        <div className="task-actions confirm-row" role="group" aria-label={`Delete “${task.title}”?`}>
          <span>Delete this task and stop its runs? Its conversation stays.</span>
          <button type="button" className="btn btn-danger btn-sm" disabled={busy} onClick={remove} autoFocus>
            Delete task
          </button>
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setMode("view")}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="task-actions">
          <button type="button" className="btn btn-outline btn-sm" disabled={busy} onClick={runNow}>
            Run now
          </button>
          <button type="button" className="btn btn-outline btn-sm" disabled={busy} onClick={() => setEnabled(!task.enabled)}>
            {task.enabled ? "Pause" : "Resume"}
          </button>
          <button type="button" className="btn btn-outline btn-sm" disabled={busy} onClick={() => setMode("edit")}>
            Edit
          </button>
          <button type="button" className="btn btn-ghost btn-sm" aria-expanded={history} onClick={() => setHistory(!history)}>
            {history ? "Hide history" : "History"}
          </button>
          <button type="button" className="btn btn-ghost btn-sm danger-text" disabled={busy} onClick={() => setMode("delete")}>
            Delete
          </button>
          {task.conversation_id && (
            <Link href={`/c/${task.conversation_id}`} className="task-conv-link">
              Open conversation
            </Link>
          )}
        </div>
      )}
      {history && (
        <RunHistory
          key={historyKey}
          task={task}
          onFinished={() => {
            setInfo("");
            onChanged();
            // The result marked the task's conversation unread: the sidebar shows it.
            convs.reload().catch(() => undefined);
          }}
        />
      )}
    </li>
  );
}

function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status status-${status}`}>{statusNames[status] ?? status}</span>;
}

/** RunHistory lists a task's runs, newest first, following a run until it finishes. */
function RunHistory({ task, onFinished }: { task: Task; onFinished: () => void }) {
  const [runs, setRuns] = useState<TaskRun[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [wasPending, setWasPending] = useState(false);

  useEffect(() => {
    let live = true;
    tasksApi
      .runs(task.id)
      .then((res) => {
        if (!live) return;
        setRuns(res.runs ?? []);
        setError(null);
      })
      .catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [task.id, tick]);

  // A run still queued, running or delivering is asked about again until it settles.
  const pending = !!runs?.some((r) => !settled(r)) && tick < MAX_POLLS;
  useEffect(() => {
    if (pending) {
      setWasPending(true);
      const t = setTimeout(() => setTick((n) => n + 1), POLL_MS);
      return () => clearTimeout(t);
    }
    if (wasPending) {
      setWasPending(false);
      onFinished();
    }
  }, [pending, runs]);

  return (
    <section className="run-history" aria-label={`Run history of “${task.title}”`}>
      <h4>Run history</h4>
      {error ? <ErrorAlert error={error} /> : null}
      {!runs && !error && <Spinner />}
      {runs && runs.length === 0 && <p className="muted small">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <ol className="runs">
          {runs.map((r) => (
            <li key={r.id} className="run">
              <div className="run-head">
                <StatusBadge status={r.status} />
                <span>{formatInZone(r.started_at || r.scheduled_for, task.timezone)}</span>
                {r.manual && <span className="muted small">run now</span>}
              </div>
              {r.error && <p className="inline-error run-error">{r.error}</p>}
              {r.deliveries && r.deliveries.length > 0 && (
                <ul className="deliveries" aria-label="Deliveries">
                  {r.deliveries.map((d, i) => (
                    <li key={d.channel + i} className={`delivery delivery-${d.status}`}>
                      {channelNames[d.channel] ?? d.channel}: {deliveryNames[d.status] ?? d.status}
                      {d.sent_at ? `, ${formatInZone(d.sent_at, task.timezone)}` : ""}
                      {d.error ? ` — ${d.error}` : ""}
                    </li>
                  ))}
                </ul>
              )}
              {r.message_id && task.conversation_id && r.status === "succeeded" && (
                <Link href={`/c/${task.conversation_id}`} className="small">
                  See the result
                </Link>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
