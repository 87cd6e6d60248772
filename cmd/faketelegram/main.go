// Command faketelegram runs the fake Telegram Bot API of internal/telegram/tgtest on an
// address, so `ally serve`, browser tests and manual testing need no real bot:
//
//	faketelegram -addr 127.0.0.1:8091 -token 123456:fake
//	ALLY_TELEGRAM_BOT_TOKEN=123456:fake ALLY_TELEGRAM_API_URL=http://127.0.0.1:8091 \
//	  ALLY_TELEGRAM_MODE=polling ally serve
//
// It serves /bot<token>/<method> like Telegram (getMe, setWebhook, deleteWebhook,
// getWebhookInfo, getUpdates with long polling, sendMessage, editMessageText,
// sendMessageDraft, sendChatAction) and a control API for tests:
//
//	POST /_fake/send {"chat_id": 42, "text": "hi", "type": "private"}  a user writes to
//	     the bot: queued for getUpdates, or posted to the webhook if one is set; returns
//	     {"update_id", "status"} (status: the webhook's answer, 0 when queued)
//	GET  /_fake/sent?chat_id=42  the messages the bot sent in the chat, as last edited
//	GET  /_fake/calls            every Bot API call received
//	POST /_fake/block {"chat_id": 42}  the user blocks the bot (sends answer 403)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"myally.app/ally/internal/telegram/tgtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "address to listen on (host:port)")
	token := flag.String("token", "123456:fake", "the bot token to accept")
	username := flag.String("username", "ally_fake_bot", "the bot's username in getMe")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *token, *username); err != nil {
		fmt.Fprintln(os.Stderr, "faketelegram:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, token, username string) error {
	fake := tgtest.New(token)
	fake.Username = username
	mux := http.NewServeMux()
	mux.Handle("/", fake)
	mux.HandleFunc("POST /_fake/send", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ChatID int64  `json:"chat_id"`
			Text   string `json:"text"`
			Type   string `json:"type"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ChatID == 0 {
			http.Error(w, "want {chat_id, text}", http.StatusBadRequest)
			return
		}
		chat := tgtest.Private(in.ChatID)
		if in.Type == "group" {
			chat = tgtest.Group(in.ChatID)
		}
		u := fake.TextUpdate(chat, in.Text)
		status := 0
		if hook, _ := fake.Webhook(); hook != "" {
			st, _, err := fake.Deliver(http.DefaultClient, u)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			status = st
		} else {
			fake.Push(u)
		}
		writeJSON(w, map[string]any{"update_id": u["update_id"], "status": status})
	})
	mux.HandleFunc("GET /_fake/sent", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.URL.Query().Get("chat_id"), 10, 64)
		sent := fake.Sent(id)
		if sent == nil {
			sent = []tgtest.Message{}
		}
		writeJSON(w, sent)
	})
	mux.HandleFunc("GET /_fake/calls", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, fake.Calls()) })
	mux.HandleFunc("POST /_fake/block", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ChatID int64 `json:"chat_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ChatID == 0 {
			http.Error(w, "want {chat_id}", http.StatusBadRequest)
			return
		}
		fake.Block(in.ChatID)
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, "faketelegram: listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
