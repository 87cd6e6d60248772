package app

import (
	"context"
	"fmt"
	"time"

	"myally.app/ally/internal/chat"
	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/jobs"
	"myally.app/ally/internal/ratelimit"
	"myally.app/ally/internal/tasks"
)

// wireTasks builds scheduled tasks on chat, accounts, plans and mail, registers their
// routes and workers, pauses a deleted account's tasks in the deletion's transaction and
// resumes them at recovery; a serving instance sweeps for due runs.
func (m *Main) wireTasks(ctx context.Context) error {
	limiter := ratelimit.New(m.DB, m.JWTSecret)
	create := ratelimit.Rule{Name: "task_create", Max: 30, Window: time.Hour}
	run := ratelimit.Rule{Name: "task_run_now", Max: 10, Window: time.Minute}
	m.Tasks = tasks.New(tasks.Deps{
		DB:          m.DB,
		Queue:       func() *jobs.Queue { return m.Jobs },
		Assistant:   taskAssistant{m.Chat},
		Accounts:    taskAccounts{m},
		Plans:       taskPlans{m},
		Mail:        m.Mail,
		PublicURL:   m.Mail.PublicURL(),
		Grace:       m.Config.TasksGrace,
		AllowCreate: func(ctx context.Context, uid string) error { return limiter.Allow(ctx, create, uid) },
		AllowRun:    func(ctx context.Context, uid string) error { return limiter.Allow(ctx, run, uid) },
		Logger:      m.Logger,
	})
	m.Tasks.Register(m.Workers)
	m.Chat.RegisterTool(m.Tasks.Tool())
	m.Tasks.Routes(m.Mux, m.Auth.Require)
	m.Privacy.OnDelete(m.Tasks.PauseForDeletion)
	m.Privacy.OnRecover(m.Tasks.ResumeAfterRecovery)
	m.OnStart(m.Tasks.Start)
	m.OnShutdown(m.Tasks.Stop)
	return nil
}

// taskAssistant runs task turns through chat.
type taskAssistant struct{ chat *chat.Service }

func (a taskAssistant) CreateConversation(ctx context.Context, userID, title string) (string, error) {
	c, err := a.chat.Store().CreateConversation(ctx, userID, title)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

func (a taskAssistant) DeleteConversation(ctx context.Context, userID, convID string) error {
	return a.chat.Store().DeleteConversation(ctx, userID, convID)
}

// Turn sends the instruction as a task's run and waits for the reply: a fresh context
// (the instruction and the last few results), no tasks tool (task runs cannot create
// tasks) and the run's token budget.
func (a taskAssistant) Turn(ctx context.Context, userID, convID, content string, maxTokens int64) (tasks.TurnResult, error) {
	reply, err := a.chat.SendMessageWith(ctx, userID, convID, content, chat.SendOptions{
		Origin:       chat.OriginTask,
		HistoryTurns: tasks.RunHistoryTurns,
		ExcludeTools: []string{tasks.ToolName},
		MaxTokens:    maxTokens,
	})
	if err != nil {
		return tasks.TurnResult{}, err
	}
	msg, err := reply.Wait(ctx)
	if err != nil {
		return tasks.TurnResult{}, err
	}
	if msg.Status != "complete" {
		if msg.Error != nil && msg.Error.Code == "budget_exceeded" {
			return tasks.TurnResult{}, tasks.ErrBudgetExceeded
		}
		why := "the reply was " + msg.Status
		if msg.Error != nil && msg.Error.Message != "" {
			why = msg.Error.Message
		}
		return tasks.TurnResult{}, errs.E(errs.Unavailable, "%s", why)
	}
	u := msg.Usage
	return tasks.TurnResult{MessageID: msg.ID, Text: msg.Content,
		Tokens: u.InputTokens + u.OutputTokens + u.CacheWriteTokens}, nil
}

func (a taskAssistant) ReplyText(ctx context.Context, userID, messageID string) (string, error) {
	msg, err := a.chat.Store().Message(ctx, userID, messageID)
	if err != nil {
		return "", err
	}
	return msg.Content, nil
}

// MarkUnread marks the task's conversation unread in chat: the in-app delivery.
func (a taskAssistant) MarkUnread(ctx context.Context, userID, convID string) error {
	return a.chat.MarkUnread(ctx, userID, convID)
}

// taskAccounts reads account standing from auth.
type taskAccounts struct{ m *Main }

func (a taskAccounts) Account(ctx context.Context, userID string) (tasks.Account, error) {
	u, err := a.m.Auth.UserByID(ctx, userID)
	if err != nil {
		return tasks.Account{}, err
	}
	return tasks.Account{Email: u.Email, Name: u.Name, Standing: u.Standing()}, nil
}

// taskPlans reads task limits from the user's plan.
type taskPlans struct{ m *Main }

func (p taskPlans) TaskLimits(ctx context.Context, userID string) (tasks.Limits, error) {
	plan, err := p.m.Usage.PlanFor(ctx, userID)
	if err != nil {
		return tasks.Limits{}, fmt.Errorf("tasks: plan: %w", err)
	}
	return tasks.Limits{ActiveTasks: plan.Limits.ActiveTasks, MinInterval: plan.Limits.MinTaskInterval,
		TokensPerDay: plan.Limits.TokensPerDay}, nil
}
