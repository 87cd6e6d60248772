// How each section of the export (docs/export-format.md) is described to the person it is
// about, in the words of the privacy policy. A section the server adds later and this
// list does not know yet is still shown, under a name made from its id.

interface Kind {
  title: string;
  what: string;
  /** kept overrides the retention line, for data that lives minutes rather than as long as the account. */
  kept?: string;
}

const kinds: Record<string, Kind> = {
  profile: { title: "Your account", what: "Name, email address, timezone, plan, and when the account was created." },
  sign_in_identities: { title: "Linked Google accounts", what: "Google account ID, email address and profile picture, if you sign in with Google." },
  sessions: { title: "Signed-in devices", what: "Each browser or device you are signed in on: IP address, browser, when it was last used." },
  sign_in_history: { title: "Sign-in history", what: "Each attempt to sign in: when, how, IP address and browser." },
  account_tokens: { title: "Emailed links", what: "Confirmation and password-reset links we sent you: when, to which address, whether used (never the link itself)." },
  google_sign_in_grants: { title: "Google sign-ins in progress", what: "Google sign-ins waiting to be completed.", kept: "Kept for a few minutes." },
  emails: { title: "Emails we sent you", what: "Account emails (confirmations, password resets): address, subject and text." },
  preferences: { title: "Assistant preferences", what: "Your assistant's name, tone, instructions, reply length, language and whether it uses memory." },
  learned_guidance: { title: "Learned guidance", what: "What the nightly review of your conversations learned about how to answer you." },
  memory_files: { title: "Memory files", what: "Notes your assistant saves about you, which you can read and edit under Memory." },
  memory_versions: { title: "Memory history", what: "Every change to your memory files, by you or your assistant, so changes can be undone." },
  conversations: { title: "Conversations", what: "Your conversations with your assistant: titles and summaries of older turns." },
  messages: { title: "Messages", what: "Every message you sent and every reply, with the model that wrote it." },
  tool_steps: { title: "Assistant actions", what: "What your assistant did while replying, such as saving to memory." },
  feedback: { title: "Feedback", what: "Thumbs up and down you gave replies, with your reasons." },
  usage_events: { title: "Usage records", what: "Token counts and cost of each model call." },
  usage_daily: { title: "Daily usage", what: "Your usage totalled per day." },
  usage_conversations: { title: "Usage per conversation", what: "Token and cost totals of each conversation." },
  billing: { title: "Billing", what: "Your Stripe customer id (Stripe holds your email address and payment details; Ally never stores card details) and the plan last applied." },
  billing_subscriptions: { title: "Subscriptions", what: "Your subscriptions as Stripe reports them: plan, status, end of the current period, whether it renews." },
};

/** dataKind names a section of the export for people. */
export function dataKind(section: string): Kind {
  const known = kinds[section];
  if (known) return known;
  const words = section.replace(/_/g, " ");
  return { title: words.charAt(0).toUpperCase() + words.slice(1), what: "" };
}

/** formatBytes writes a size the way a download dialog would. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
