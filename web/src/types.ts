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
}

export interface Step {
  tool_call_id: string;
  tool: string;
  input: string;
  result: string;
  is_error: boolean;
  writes_memory: boolean;
  done?: boolean;
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
}

export interface Preferences {
  assistant_name: string;
  tone: string;
  response_length: "short" | "medium" | "long";
  language: string;
  memory_enabled: boolean;
}

/** preferencesBody is what PUT /me/preferences takes: the settable fields only. */
export function preferencesBody(p: Preferences): Preferences {
  const { assistant_name, tone, response_length, language, memory_enabled } = p;
  return { assistant_name, tone, response_length, language, memory_enabled };
}
