// Package telegram connects Ally to a Telegram bot (TG-1..5): a user links their private
// chat with a one-time deep link from Settings, then talks there to the same assistant as
// on the web (the messages go through chat into a conversation marked as Telegram's),
// with the reply streamed into the chat, and receives scheduled-task results there.
//
// Updates arrive by webhook (POST /webhooks/telegram, secret header checked in constant
// time) or by long polling (one instance polls, holding a PostgreSQL advisory lock). Each
// update of a linked chat is stored (update_id unique, so duplicates are ignored) before
// it is acknowledged; the reply then runs in the background, in order per chat and with
// bounded concurrency overall. Nothing about a chat that is not linked is stored: it gets
// linking instructions only.
//
// Outgoing calls are throttled to one update per chat per second and 30 per second per
// bot, honouring Telegram's retry_after. Replies are converted from markdown to Telegram
// HTML, everything else escaped, and split at 4,096 characters.
package telegram
