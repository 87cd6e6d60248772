import { IconTool } from "../components/icons";
import type { Step } from "../types";

const toolNames: Record<string, string> = {
  memory: "Memory",
  current_time: "Checked the time",
  get_current_time: "Checked the time",
};

function summary(st: Step): string {
  let cmd = "";
  try {
    const input = JSON.parse(st.input || "{}");
    cmd = [input.command, input.path ?? input.old_path].filter(Boolean).join(" ");
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
        <details key={st.tool_call_id} className={"step" + (st.is_error ? " step-error" : "")}>
          <summary>
            <IconTool size={15} />
            <span className="step-title">{summary(st)}</span>
            {st.writes_memory && <span className="badge">saved to memory</span>}
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
      ))}
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
