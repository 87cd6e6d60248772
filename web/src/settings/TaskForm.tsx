import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorText } from "../api";
import { Alert, Field } from "../components/ui";
import type { Channel, Schedule, Task, TaskInput } from "../types";
import { channelNames, formatInZone, tasksApi, weekdays, zoneName, zones } from "./tasksApi";

type Kind = Schedule["kind"];

const kinds: { id: Kind; label: string }[] = [
  { id: "daily", label: "Every day" },
  { id: "weekdays", label: "Every weekday (Monday to Friday)" },
  { id: "weekly", label: "Every week" },
  { id: "monthly", label: "Every month" },
  { id: "once", label: "Once" },
  { id: "cron", label: "Custom (cron expression)" },
];

// Telegram is not offered until an account can link it.
const offeredChannels: Channel[] = ["in_app", "email"];

interface Draft {
  kind: Kind;
  time: string;
  weekday: number;
  day: number;
  at: string;
  cron: string;
}

function draftOf(s: Schedule | undefined): Draft {
  const d: Draft = { kind: "daily", time: "08:00", weekday: 1, day: 1, at: "", cron: "0 8 * * 1-5" };
  if (!s) return d;
  d.kind = s.kind;
  if ("time" in s) d.time = s.time;
  if (s.kind === "weekly") d.weekday = s.weekday;
  if (s.kind === "monthly") d.day = s.day;
  if (s.kind === "once") d.at = s.at;
  if (s.kind === "cron") d.cron = s.cron;
  return d;
}

function scheduleOf(d: Draft): Schedule {
  switch (d.kind) {
    case "once":
      return { kind: "once", at: d.at };
    case "weekly":
      return { kind: "weekly", weekday: d.weekday, time: d.time };
    case "monthly":
      return { kind: "monthly", day: d.day, time: d.time };
    case "cron":
      return { kind: "cron", cron: d.cron.trim() };
    default:
      return { kind: d.kind, time: d.time };
  }
}

/** complete is false while a schedule cannot be previewed yet (a field still empty). */
function complete(d: Draft): boolean {
  if (d.kind === "once") return d.at !== "";
  if (d.kind === "cron") return d.cron.trim() !== "";
  return d.time !== "" && (d.kind !== "monthly" || (d.day >= 1 && d.day <= 31));
}

const PREVIEW_DELAY_MS = 350;

/** TaskForm creates or edits a task: the schedule builder previews the next five runs as it changes. */
export function TaskForm({ task, defaultZone, onSaved, onCancel }: { task?: Task; defaultZone: string; onSaved: (t: Task) => void; onCancel: () => void }) {
  const [title, setTitle] = useState(task?.title ?? "");
  const [instruction, setInstruction] = useState(task?.instruction ?? "");
  const [draft, setDraft] = useState<Draft>(() => draftOf(task?.schedule));
  const [timezone, setTimezone] = useState(task?.timezone || defaultZone || "UTC");
  const [channels, setChannels] = useState<Channel[]>(task?.channels ?? ["in_app"]);
  const [enabled, setEnabled] = useState(task?.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const [saveErr, setSaveErr] = useState<unknown>(null);
  const [preview, setPreview] = useState<{ next: string[]; zone: string } | null>(null);
  const [previewErr, setPreviewErr] = useState<ApiError | null>(null);
  const seq = useRef(0);
  const ids = useId();

  const schedule = scheduleOf(draft);
  const scheduleKey = JSON.stringify(schedule);
  const set = (p: Partial<Draft>) => setDraft((d) => ({ ...d, ...p }));

  // The preview follows the builder, asked for once typing pauses; a stale answer is dropped.
  useEffect(() => {
    const n = ++seq.current;
    if (!complete(draft)) {
      setPreview(null);
      setPreviewErr(null);
      return;
    }
    const t = setTimeout(() => {
      tasksApi
        .preview(schedule, timezone)
        .then((res) => {
          if (n !== seq.current) return;
          setPreview({ next: res.next ?? [], zone: timezone });
          setPreviewErr(null);
        })
        .catch((err) => {
          if (n !== seq.current) return;
          setPreview(null);
          setPreviewErr(err instanceof ApiError ? err : new ApiError(0, "error", errorText(err)));
        });
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(t);
  }, [scheduleKey, timezone]);

  const saveField = saveErr instanceof ApiError && saveErr.field ? saveErr.field : "";
  const fieldErr = (...names: string[]): string | undefined => {
    if (saveErr instanceof ApiError && names.includes(saveField)) return saveErr.message;
    if (previewErr?.field && names.includes(previewErr.field)) return previewErr.message;
    return undefined;
  };
  const known = ["title", "instruction", "channels", "timezone", "schedule", "schedule.kind", "schedule.time", "schedule.at", "schedule.weekday", "schedule.day", "schedule.cron"];
  const generalErr = saveErr && !known.includes(saveField) ? errorText(saveErr) : "";
  const previewGeneral = previewErr && !(previewErr.field && known.includes(previewErr.field)) ? previewErr.message : "";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaveErr(null);
    const body: TaskInput = { title: title.trim(), instruction: instruction.trim(), schedule, timezone, channels, enabled };
    try {
      onSaved(task ? await tasksApi.update(task.id, body) : await tasksApi.create(body));
    } catch (err) {
      setSaveErr(err);
    } finally {
      setBusy(false);
    }
  };

  const toggleChannel = (c: Channel, on: boolean) => setChannels((cs) => (on ? [...cs.filter((x) => x !== c), c] : cs.filter((x) => x !== c)));
  const headingId = ids + "-h";
  const previewZone = preview?.zone ?? timezone;

  return (
    <form className="task-form" onSubmit={submit} noValidate aria-labelledby={headingId}>
      <h3 id={headingId}>{task ? `Edit “${task.title}”` : "New task"}</h3>
      {generalErr && <Alert>{generalErr}</Alert>}
      <Field label="Title" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} error={fieldErr("title")} placeholder="Morning briefing" />
      <TextArea label="What should the assistant do?" value={instruction} onChange={setInstruction} error={fieldErr("instruction")} placeholder="Summarise the weather and my day ahead." />

      <fieldset className="schedule-builder">
        <legend>When</legend>
        <Select label="Repeats" value={draft.kind} onChange={(v) => set({ kind: v as Kind })} error={fieldErr("schedule", "schedule.kind")}>
          {kinds.map((k) => (
            <option key={k.id} value={k.id}>
              {k.label}
            </option>
          ))}
        </Select>
        <div className="schedule-row">
          {draft.kind === "weekly" && (
            <Select label="Day of the week" value={String(draft.weekday)} onChange={(v) => set({ weekday: Number(v) })} error={fieldErr("schedule.weekday")}>
              {weekdays.map((w, i) => (
                <option key={w} value={i}>
                  {w}
                </option>
              ))}
            </Select>
          )}
          {draft.kind === "monthly" && (
            <Field
              label="Day of the month"
              type="number"
              min={1}
              max={31}
              inputMode="numeric"
              value={draft.day || ""}
              onChange={(e) => set({ day: Number(e.target.value) })}
              error={fieldErr("schedule.day")}
              hint={draft.day > 28 ? "Shorter months run on their last day." : undefined}
            />
          )}
          {draft.kind === "once" && (
            <Field label="Date and time" type="datetime-local" value={draft.at} onChange={(e) => set({ at: e.target.value })} error={fieldErr("schedule.at")} />
          )}
          {draft.kind === "cron" && (
            <Field
              label="Cron expression"
              className="mono"
              spellCheck={false}
              autoCapitalize="off"
              autoComplete="off"
              value={draft.cron}
              onChange={(e) => set({ cron: e.target.value })}
              error={fieldErr("schedule.cron")}
              hint="Minute, hour, day of month, month, day of week: 0 8 * * 1-5 is 08:00 on weekdays."
            />
          )}
          {draft.kind !== "once" && draft.kind !== "cron" && (
            <Field label="Time" type="time" value={draft.time} onChange={(e) => set({ time: e.target.value })} error={fieldErr("schedule.time")} />
          )}
        </div>
        <Select label="Timezone" value={timezone} onChange={setTimezone} error={fieldErr("timezone")}>
          {!zones.includes(timezone) && <option value={timezone}>{zoneName(timezone)}</option>}
          {zones.map((z) => (
            <option key={z} value={z}>
              {zoneName(z)}
            </option>
          ))}
        </Select>
        <div className="preview" aria-live="polite">
          {preview && preview.next.length > 0 && (
            <>
              <div className="preview-title">Next runs ({zoneName(previewZone)})</div>
              <ol className="preview-list" aria-label="Next runs">
                {preview.next.map((t) => (
                  <li key={t}>
                    <time dateTime={t}>{formatInZone(t, previewZone)}</time>
                  </li>
                ))}
              </ol>
            </>
          )}
          {preview && preview.next.length === 0 && <p className="muted small">This schedule does not run again.</p>}
          {previewGeneral && <p className="inline-error">{previewGeneral}</p>}
        </div>
      </fieldset>

      <fieldset aria-describedby={fieldErr("channels") ? ids + "-ch-err" : undefined}>
        <legend>Send the result to</legend>
        <div className="channel-list">
          {offeredChannels.map((c) => (
            <label key={c} className="check">
              <input type="checkbox" checked={channels.includes(c)} onChange={(e) => toggleChannel(c, e.target.checked)} />
              <span>
                {channelNames[c]}
                <span className="muted small block">{c === "in_app" ? "The task's conversation, marked unread." : "An email to your address."}</span>
              </span>
            </label>
          ))}
        </div>
        {fieldErr("channels") && (
          <div className="field-error" id={ids + "-ch-err"}>
            {fieldErr("channels")}
          </div>
        )}
      </fieldset>

      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <span>Active (runs on schedule)</span>
      </label>

      <div className="form-actions">
        <button className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : task ? "Save task" : "Create task"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Select({ label, value, onChange, error, children }: { label: string; value: string; onChange: (v: string) => void; error?: string; children: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? id + "-err" : undefined}>
        {children}
      </select>
      {error && (
        <div className="field-error" id={id + "-err"}>
          {error}
        </div>
      )}
    </div>
  );
}

function TextArea({ label, value, onChange, error, placeholder }: { label: string; value: string; onChange: (v: string) => void; error?: string; placeholder?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={4} maxLength={4000} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? id + "-err" : undefined} />
      {error && (
        <div className="field-error" id={id + "-err"}>
          {error}
        </div>
      )}
    </div>
  );
}
