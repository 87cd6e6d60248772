package telegram

import (
	"context"
	"errors"
	"strconv"

	"github.com/go-telegram/bot"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/tasks"
)

// Channel returns the scheduled-task delivery channel "telegram" (TG-5).
func (s *Service) Channel() tasks.Channel { return taskChannel{s} }

type taskChannel struct{ s *Service }

// Name implements tasks.Channel.
func (taskChannel) Name() string { return "telegram" }

// Ready refuses the channel for a user with no linked chat.
func (c taskChannel) Ready(ctx context.Context, userID string) error {
	if _, err := c.s.linkByUser(ctx, userID); err != nil {
		if errors.Is(err, errNotLinked) {
			return errs.InvalidField("channels", "Telegram is not linked to your account; link it in Settings > Telegram first, or choose in_app or email")
		}
		return err
	}
	return nil
}

// Deliver sends a run's result to the user's linked chat; the provider id is the id of
// the (first) Telegram message. A chat that blocked the bot marks the link broken (the
// web shows it) and fails the delivery without retrying.
func (c taskChannel) Deliver(ctx context.Context, d tasks.Delivered) (string, error) {
	s := c.s
	l, err := s.linkByUser(ctx, d.UserID)
	if err != nil {
		return "", errs.E(errs.Unavailable, "Telegram is not linked; link it in Settings > Telegram")
	}
	if l.Status == statusBroken {
		return "", errs.E(errs.Unavailable, "the Telegram chat blocked the bot; unblock it and send it a message")
	}
	text := "**" + d.TaskTitle + "**\n\n" + d.Text
	var first string
	for _, part := range Split(text, MaxMessage) {
		id, err := s.sendText(ctx, l.ChatID, ToHTML(part), true)
		if errors.Is(err, bot.ErrorForbidden) {
			return first, errs.E(errs.Unavailable, "the Telegram chat blocked the bot; unblock it and send it a message")
		}
		if err != nil {
			return first, err
		}
		if first == "" {
			first = strconv.Itoa(id)
		}
	}
	return first, nil
}

// retryable reports whether a failed call may succeed later.
func retryable(err error) bool {
	return !errors.Is(err, bot.ErrorForbidden) && !errors.Is(err, bot.ErrorBadRequest) &&
		!errors.Is(err, bot.ErrorUnauthorized) && !errors.Is(err, bot.ErrorNotFound)
}
