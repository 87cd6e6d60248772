// Shapes of the API's JSON (docs/api.md).

export interface User {
  id: string;
  email: string;
  name: string;
  email_verified: boolean;
  timezone: string;
  role: string;
  plan: string;
  has_password: boolean;
  picture_url?: string;
  pending_email?: string;
  created_at: string;
}

export interface TokenTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface Conversation {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  usage?: TokenTotals;
  active_reply_id?: string;
  /** unread is set when something arrived that the person has not seen (a task's result). */
  unread?: boolean;
  /** channel is "telegram" for the conversation a linked Telegram chat talks in. */
  channel?: "telegram";
  /** leaf_id is the last message of the branch shown (the versions chosen). */
  leaf_id?: string;
  /** title_pending is true while the title is the start of the first message, before the small model titles it. */
  title_pending?: boolean;
}

export interface Step {
  tool_call_id: string;
  tool: string;
  input: string;
  result: string;
  is_error: boolean;
  writes_memory: boolean;
  /** change is true when the tool changed something (a task created, a file written). */
  change?: boolean;
  /** undo says how to take the change back, when the tool knows. */
  undo?: StepUndo | null;
  done?: boolean;
}

export interface StepUndo {
  tool: string;
  action: "delete" | "restore" | "recreate" | string;
  task_id?: string;
  task?: Record<string, unknown>;
}

export interface Feedback {
  rating: "up" | "down";
  reason?: string;
}

export type MessageStatus = "streaming" | "complete" | "stopped" | "failed" | "interrupted";

export interface Message {
  id: string;
  conversation_id: string;
  role: "user" | "assistant";
  content: string;
  status: MessageStatus;
  error?: { code: string; message: string };
  provider?: string;
  model?: string;
  usage?: TokenTotals;
  steps?: Step[];
  feedback?: Feedback | null;
  created_at: string;
  /** parent_id is the message this one follows on its branch ("" for a first message). */
  parent_id?: string;
  /** sibling_ids are the versions of this message (itself included), oldest first. */
  sibling_ids?: string[];
  sibling_index?: number;
}

export interface Preferences {
  assistant_name: string;
  tone: string;
  response_length: "short" | "medium" | "long";
  language: string;
  memory_enabled: boolean;
  /** The nightly review may analyse the day and update the learned guidance. */
  nightly_analysis: boolean;
}

/** preferencesBody is what PUT /me/preferences takes: the settable fields only. */
export function preferencesBody(p: Preferences): Preferences {
  const { assistant_name, tone, response_length, language, memory_enabled, nightly_analysis } = p;
  return { assistant_name, tone, response_length, language, memory_enabled, nightly_analysis };
}

// Learned guidance (SPEC §15 "NIGHT").

export interface GuidanceChange {
  action: "add" | "remove" | "edit";
  bullet: string;
  replaces?: string;
  reason: string;
  message_ids: string[];
  conversation_ids: string[];
}

export interface GuidanceVersion {
  id: string;
  seq: number;
  text: string;
  source: "nightly" | "user";
  night?: string;
  changes: GuidanceChange[];
  created_at: string;
}

export interface GuidanceNote {
  conversation_id: string;
  message_ids: string[];
  score: number;
  issues: string[];
  summary: string;
  night: string;
  created_at: string;
}

export interface Guidance {
  text: string;
  updated_at: string | null;
  source: "nightly" | "user" | null;
  version: number;
  last_nightly: GuidanceVersion | null;
  notes: GuidanceNote[];
}

// Scheduled tasks (SPEC §15 "Tasks").

export type Schedule =
  | { kind: "once"; at: string }
  | { kind: "daily"; time: string }
  | { kind: "weekdays"; time: string }
  | { kind: "weekly"; weekday: number; time: string }
  | { kind: "monthly"; day: number; time: string }
  | { kind: "cron"; cron: string };

export type Channel = "in_app" | "email" | "telegram";

export interface Delivery {
  channel: Channel | string;
  status: "pending" | "sent" | "failed" | string;
  provider_id?: string | null;
  error?: string | null;
  sent_at?: string | null;
}

export interface TaskRun {
  id: string;
  task_id: string;
  scheduled_for: string;
  started_at?: string | null;
  finished_at?: string | null;
  status: "queued" | "running" | "succeeded" | "failed" | "missed" | string;
  manual?: boolean;
  message_id?: string | null;
  error?: string | null;
  deliveries?: Delivery[];
}

export interface Task {
  id: string;
  title: string;
  instruction: string;
  schedule: Schedule;
  timezone: string;
  channels: Channel[];
  enabled: boolean;
  conversation_id: string;
  next_run_at?: string | null;
  last_run?: TaskRun | null;
  estimate?: { tokens_per_run: number; runs_per_month: number };
  /** disabled_reason says why Ally paused the task itself (repeated failures). */
  disabled_reason?: string;
  created_at: string;
}

export interface TaskInput {
  title: string;
  instruction: string;
  schedule: Schedule;
  timezone: string;
  channels: Channel[];
  enabled: boolean;
}
