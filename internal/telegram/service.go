package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/db"
	"myally.app/ally/internal/jobs"
)

// LinkTTL is how long a deep link can be used.
const LinkTTL = 10 * time.Minute

// Chat is what Telegram needs of chat: send a user's message and follow the reply, and
// start a conversation marked as Telegram's.
type Chat interface {
	SendMessageWith(ctx context.Context, userID, conversationID, content string, opts chat.SendOptions) (*chat.Reply, error)
	CreateChannelConversation(ctx context.Context, userID, title, channel string) (*chat.Conversation, error)
}

// Deps are the Telegram service's collaborators and settings.
type Deps struct {
	DB   *db.DB
	Chat Chat
	// Queue is the job queue (built after the services; read when needed).
	Queue func() *jobs.Queue
	// Token is the bot token; APIURL the Bot API base URL.
	Token, APIURL string
	// Webhook selects webhook mode (else long polling); WebhookSecret is the secret_token
	// Telegram sends back; PublicURL is where Telegram posts (PublicURL/webhooks/telegram).
	Webhook       bool
	WebhookSecret string
	PublicURL     string
	AllowLink     func(ctx context.Context, userID string) error
	Logger        *slog.Logger
	Now           func() time.Time
	// Sleep waits d or until ctx ends (tests record retry_after waits instead).
	Sleep func(ctx context.Context, d time.Duration) error
	// Workers bounds how many chats are answered at once (default 64).
	Workers int
	// PollTimeout is the getUpdates long-poll timeout (default 30s).
	PollTimeout time.Duration
	// HTTPClient calls the Bot API (default: a client with a timeout above PollTimeout).
	HTTPClient *http.Client
}

// Service is the Telegram bot.
type Service struct {
	d        Deps
	bot      *bot.Bot
	username string
	limits   *limiter
	disp     *dispatcher

	clockMu sync.RWMutex

	mu         sync.Mutex
	cancel     context.CancelFunc
	pollCancel context.CancelFunc
	wg         sync.WaitGroup
}

// New builds the service; Start connects it to Telegram.
func New(d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = sleep
	}
	if d.Workers <= 0 {
		d.Workers = 64
	}
	if d.PollTimeout <= 0 {
		d.PollTimeout = 30 * time.Second
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: d.PollTimeout + 10*time.Second}
	}
	s := &Service{d: d, limits: newLimiter()}
	s.disp = newDispatcher(d.Workers, s.process)
	if d.Token == "" {
		return s, nil // Telegram off: the API reports it, links can still be removed
	}
	b, err := bot.New(d.Token,
		bot.WithServerURL(strings.TrimRight(d.APIURL, "/")),
		bot.WithSkipGetMe(),
		bot.WithHTTPClient(d.PollTimeout+time.Second, d.HTTPClient),
		bot.WithNotAsyncHandlers(),
		bot.WithDefaultHandler(s.polled),
		bot.WithErrorsHandler(s.clientError),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	s.bot = b
	return s, nil
}

func (s *Service) now() time.Time {
	s.clockMu.RLock()
	defer s.clockMu.RUnlock()
	return s.d.Now()
}

// wait sleeps d (or until ctx ends) with the service's Sleep.
func (s *Service) wait(ctx context.Context, d time.Duration) error {
	s.clockMu.RLock()
	fn := s.d.Sleep
	s.clockMu.RUnlock()
	return fn(ctx, d)
}

func (s *Service) serverURL() string { return strings.TrimRight(s.d.APIURL, "/") }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clientError logs the bot client's own errors (polling) by kind only: a decode error
// quotes the response body, which can hold users' messages.
func (s *Service) clientError(err error) {
	kind := "request"
	switch {
	case errors.Is(err, context.Canceled):
		return
	case errors.Is(err, bot.ErrorConflict):
		kind = "conflict (a webhook is set or another poller runs)"
	case errors.Is(err, bot.ErrorUnauthorized):
		kind = "unauthorized (check ALLY_TELEGRAM_BOT_TOKEN)"
	case strings.Contains(err.Error(), "decode"):
		kind = "malformed answer"
	}
	s.d.Logger.Warn("telegram: bot API call failed", "kind", kind)
}

// Username is the bot's username (known once Start has called getMe).
func (s *Service) Username() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.username
}

// Enabled reports whether a bot token is configured.
func (s *Service) Enabled() bool { return s.bot != nil }

// Start checks the token (getMe), then sets the webhook, or removes it and starts
// polling. If Telegram cannot be reached, Ally still starts and keeps trying.
func (s *Service) Start(ctx context.Context) error {
	if !s.Enabled() {
		return nil
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	s.disp.start(runCtx)
	if err := s.connect(ctx); err != nil {
		s.d.Logger.Error("telegram: cannot reach the Bot API; retrying in the background", "error", safeErr(err))
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for attempt := 0; sleep(runCtx, retryDelay(attempt+5)) == nil; attempt++ {
				if s.connect(runCtx) == nil {
					return
				}
			}
		}()
	}
	return nil
}

// connect runs getMe and sets up webhook or polling.
func (s *Service) connect(ctx context.Context) error {
	me, err := s.bot.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("telegram: getMe: %w", err)
	}
	s.mu.Lock()
	s.username = me.Username
	runCtx := s.disp.context()
	s.mu.Unlock()
	if s.d.Webhook {
		if _, err := s.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: strings.TrimRight(s.d.PublicURL, "/") + WebhookPath,
			SecretToken: s.d.WebhookSecret, AllowedUpdates: []string{"message", "edited_message"}}); err != nil {
			return fmt.Errorf("telegram: setWebhook: %w", err)
		}
	} else {
		if _, err := s.bot.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
			return fmt.Errorf("telegram: deleteWebhook: %w", err)
		}
		pollCtx, pollCancel := context.WithCancel(runCtx)
		s.mu.Lock()
		s.pollCancel = pollCancel
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.pollAsLeader(pollCtx)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.recoverPending(runCtx)
		// Handled updates are forgotten after a day, checked hourly.
		for sleep(runCtx, time.Hour) == nil {
			if err := s.pruneUpdates(runCtx); err != nil && runCtx.Err() == nil {
				s.d.Logger.Warn("telegram: prune updates", "error", err)
			}
		}
	}()
	s.d.Logger.Info("telegram: connected", "webhook", s.d.Webhook)
	return nil
}

// SetClock replaces the clock of the service's pacing and how it waits (retry_after,
// backoff): tests advance a fake clock instead of waiting.
func (s *Service) SetClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	s.d.Now, s.d.Sleep = now, sleep
}

// Stop ends polling and waits for the replies in progress (until ctx ends).
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, pollCancel := s.cancel, s.pollCancel
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	if pollCancel != nil {
		pollCancel() // no new updates; those received are answered below
	}
	done := make(chan struct{})
	go func() {
		s.disp.wait()
		cancel()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		cancel()
		<-done
	}
	return nil
}

// CheckToken calls getMe with token at apiURL and returns the bot's username (ally
// doctor). The error names the kind of failure, never the token.
func CheckToken(ctx context.Context, token, apiURL string) (string, error) {
	b, err := bot.New(token, bot.WithServerURL(strings.TrimRight(apiURL, "/")), bot.WithSkipGetMe())
	if err != nil {
		return "", err
	}
	me, err := b.GetMe(ctx)
	if err != nil {
		return "", errors.New(safeErr(err))
	}
	return me.Username, nil
}
