package tasks

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks/schedule"
)

// Limits on what a task may hold.
const (
	MaxTitle       = 200
	MaxInstruction = 4000
)

// Run statuses.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunMissed    = "missed"
)

// Delivery statuses.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// Task is a scheduled task as the API shows it.
type Task struct {
	ID             string            `json:"id"`
	Title          string            `json:"title"`
	Instruction    string            `json:"instruction"`
	Schedule       schedule.Schedule `json:"schedule"`
	Timezone       string            `json:"timezone"`
	Channels       []string          `json:"channels"`
	Enabled        bool              `json:"enabled"`
	ConversationID string            `json:"conversation_id"`
	NextRunAt      *time.Time        `json:"next_run_at"`
	LastRun        *Run              `json:"last_run"`
	Estimate       Estimate          `json:"estimate"`
	// DisabledReason says why Ally paused the task (e.g. five failed runs in a row).
	DisabledReason string    `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	userID   string
	failures int
}

// Estimate is what a task is expected to cost a month (TASK-5).
type Estimate struct {
	TokensPerRun int64 `json:"tokens_per_run"`
	RunsPerMonth int64 `json:"runs_per_month"`
}

// Run is one execution of a task.
type Run struct {
	ID           string     `json:"id"`
	TaskID       string     `json:"task_id"`
	ScheduledFor time.Time  `json:"scheduled_for"`
	Manual       bool       `json:"manual"`
	StartedAt    *time.Time `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	MessageID    *string    `json:"message_id"`
	Error        *string    `json:"error"`
	Deliveries   []Delivery `json:"deliveries"`

	tokens int64
}

// Delivery is the delivery of a run's result to one channel.
type Delivery struct {
	Channel    string     `json:"channel"`
	Status     string     `json:"status"`
	ProviderID *string    `json:"provider_id"`
	Error      *string    `json:"error"`
	SentAt     *time.Time `json:"sent_at"`
}

// input is a task's fields as the client sends them; nil means "not given" (PATCH).
type input struct {
	Title       *string            `json:"title"`
	Instruction *string            `json:"instruction"`
	Schedule    *schedule.Schedule `json:"schedule"`
	Timezone    *string            `json:"timezone"`
	Channels    *[]string          `json:"channels"`
	Enabled     *bool              `json:"enabled"`
}

func checkTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "", errs.InvalidField("title", "title must not be empty")
	case utf8.RuneCountInString(t) > MaxTitle:
		return "", errs.InvalidField("title", "title must be at most %d characters", MaxTitle)
	case strings.ContainsAny(t, "\r\n"):
		return "", errs.InvalidField("title", "title must be one line")
	}
	return t, nil
}

func checkInstruction(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "", errs.InvalidField("instruction", "instruction must not be empty: say what the assistant should do")
	case utf8.RuneCountInString(t) > MaxInstruction:
		return "", errs.InvalidField("instruction", "instruction must be at most %d characters", MaxInstruction)
	}
	return t, nil
}

// checkChannels refuses unknown, unavailable and repeated channels, and channels the user
// has not set up (a ReadyChecker's refusal).
func (s *Service) checkChannels(ctx context.Context, userID string, chs []string) ([]string, error) {
	if len(chs) == 0 {
		return nil, errs.InvalidField("channels", "choose at least one channel: in_app, email")
	}
	seen := map[string]bool{}
	for _, c := range chs {
		if seen[c] {
			return nil, errs.InvalidField("channels", "channel %q is listed twice", c)
		}
		seen[c] = true
		if ch, ok := s.channel(c); ok {
			if rc, ok := ch.(ReadyChecker); ok {
				if err := rc.Ready(ctx, userID); err != nil {
					return nil, err
				}
			}
			continue
		}
		if c == "telegram" {
			return nil, errs.InvalidField("channels", "Telegram is not linked to your account: this server has no Telegram bot; choose in_app or email")
		}
		return nil, errs.InvalidField("channels", "unknown channel %q; use in_app or email", c)
	}
	return chs, nil
}

// recurring reports the schedule's shortest gap, for the plan's minimum interval.
func checkInterval(sc schedule.Schedule, now time.Time, loc *time.Location, min time.Duration) error {
	if min <= 0 || !sc.Recurring() {
		return nil
	}
	if gap := sc.MinInterval(now, loc); gap > 0 && gap < min {
		return errs.InvalidField("schedule", "your plan runs a task at most every %s; this schedule runs every %s", human(min), human(gap))
	}
	return nil
}

// human writes a duration as people say it: 1h, 15m, 1h30m.
func human(d time.Duration) string {
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(strings.Replace(s, "h0m", "h", 1), "")
}
