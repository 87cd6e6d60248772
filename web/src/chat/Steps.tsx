import { Fragment, useState } from "react";
import { del, errorText, patch, post } from "../api";
import { IconTool } from "../components/icons";
import type { Step, StepUndo } from "../types";

const toolNames: Record<string, string> = {
  memory: "Memory",
  current_time: "Checked the time",
  get_current_time: "Checked the time",
  tasks: "Tasks",
};

function summary(st: Step): string {
  let cmd = "";
  try {
    const input = JSON.parse(st.input || "{}");
    cmd = [input.command ?? input.action, input.path ?? input.old_path ?? input.title].filter((x) => typeof x === "string" && x).join(" ");
  } catch {
    // Input that is not JSON is shown as is below.
  }
  const name = toolNames[st.tool] ?? st.tool;
  return cmd ? `${name}: ${cmd}` : name;
}

/** Steps shows the tool calls of a reply, each collapsible (CHAT-4, SEC-4). */
export function Steps({ steps }: { steps: Step[] }) {
  if (!steps.length) return null;
  return (
    <div className="steps">
      {steps.map((st) => (
        <Fragment key={st.tool_call_id}>
        <details className={"step" + (st.is_error ? " step-error" : "")}>
          <summary>
            <IconTool size={15} />
            <span className="step-title">{summary(st)}</span>
            {st.writes_memory && <span className="badge">saved to memory</span>}
            {st.change && !st.writes_memory && st.tool !== "memory" && <span className="badge">changed</span>}
            {!st.done && !st.result && <span className="step-running">running…</span>}
          </summary>
          <div className="step-body">
            <div className="step-label">Input</div>
            <pre>{prettyJSON(st.input)}</pre>
            {st.result && (
              <>
                <div className="step-label">{st.is_error ? "Error" : "Result"}</div>
                <pre>{st.result}</pre>
              </>
            )}
          </div>
        </details>
        {st.undo && st.undo.tool === "tasks" && <UndoButton undo={st.undo} label={summary(st)} />}
        </Fragment>
      ))}
    </div>
  );
}

/** undoTask takes back what the tasks tool did, as the step's undo says. */
async function undoTask(u: StepUndo): Promise<void> {
  const id = u.task_id ? encodeURIComponent(u.task_id) : "";
  switch (u.action) {
    case "delete":
      if (!id) throw new Error("no task to delete");
      await del(`/tasks/${id}`);
      return;
    case "restore":
      if (!id || !u.task) throw new Error("no task to restore");
      await patch(`/tasks/${id}`, u.task);
      return;
    case "recreate":
      if (!u.task) throw new Error("no task to recreate");
      await post("/tasks", u.task);
      return;
    default:
      throw new Error("unknown undo");
  }
}

const undoLabels: Record<string, string> = { delete: "Undo: delete the task", restore: "Undo: restore the task", recreate: "Undo: recreate the task" };

function UndoButton({ undo, label }: { undo: StepUndo; label: string }) {
  const [state, setState] = useState<"idle" | "busy" | "done">("idle");
  const [error, setError] = useState("");
  if (!undoLabels[undo.action]) return null;
  const click = async () => {
    setState("busy");
    setError("");
    try {
      await undoTask(undo);
      setState("done");
    } catch (err) {
      setError(errorText(err));
      setState("idle");
    }
  };
  return (
    <div className="step-undo">
      {state === "done" ? (
        <span className="muted small" role="status">
          Undone.
        </span>
      ) : (
        <button type="button" className="btn btn-outline btn-sm" disabled={state === "busy"} onClick={click} title={undoLabels[undo.action]} aria-label={`Undo ${label}`}>
          Undo
        </button>
      )}
      {error && <span className="inline-error">{error}</span>}
    </div>
  );
}

function prettyJSON(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}
