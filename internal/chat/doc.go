// Package chat is the heart of Ally: conversations, the user's messages and the
// assistant's streamed replies, the agent loop with its tools, context assembly with
// summaries, assistant preferences and feedback.
//
// A reply is a run owned by the server, not by the HTTP request that asked for it: the
// request stores the user's message, starts the run and follows it as Server-Sent Events.
// Closing the connection leaves the run going; any request (on any instance) can follow
// it again. The run saves its text in batches while it streams and its final state at the
// end, so a reply survives closed tabs, stops, provider failures and server crashes:
//
//   - streaming: in progress (a heartbeat keeps updated_at fresh);
//   - complete, stopped (the user stopped it; partial text kept), failed (error kept);
//   - interrupted: the server went down mid-reply (set at start-up, or at shutdown when
//     the reply could not finish in time).
//
// Other features reach chat through Service.SendMessage (the same turn as the HTTP route,
// with a Reply to follow or wait for) or SendMessageWith (a turn with SendOptions: its
// origin, a short history, excluded tools, a token budget), Service.CreateConversation,
// Service.RegisterTool (a feature's tool the assistant may call, beside the built-in
// current_time and memory), Service.SetGuidance (where every reply's context gets the
// learned guidance from: the nightly analysis, which owns it), and the read-only day
// views of the nightly analysis (Store.ActiveUsers, Store.Day).
package chat
