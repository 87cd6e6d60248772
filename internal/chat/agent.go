package chat

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm"
)

// Errors a reply can end with, besides the providers' own.
var (
	errNoProvider = errs.E(errs.NoProvider, "No model provider is configured. Set ANTHROPIC_API_KEY (and optionally OPENAI_API_KEY and GEMINI_API_KEY as fallbacks) and restart Ally.")
	errRestarting = errs.E(errs.Unavailable, "The server is restarting; send your message again in a moment.")
	errStepLimit  = errors.New("chat: step limit reached")
	errBudget     = errors.New("chat: the turn's token budget is spent")
)

// agentRun is one reply being generated: the agent loop and its state.
type agentRun struct {
	s    *Service
	rn   *run
	t    *turn
	loc  *time.Location
	text *replyText

	opts     SendOptions
	prefs    Preferences
	offered  offered
	steps    int
	usage    TokenTotals
	provider string
	model    string
	fallback bool

	// cur is the model call in progress as streamed so far, for the periodic save.
	cur callProgress
	// lastCall is the turn's last model call, recorded in the ledger by finish.
	lastCall *ModelCall
}

// startRun starts generating the reply of a begun turn, owned by the server.
func (s *Service) startRun(t *turn, loc *time.Location, opts SendOptions) *run {
	ctx, cancel := context.WithCancelCause(s.base)
	rn := newRun(t.replyID, t.conv.ID, t.conv.userID, cancel)
	if !s.runs.add(rn) {
		// Shutdown began since the turn was checked: the reply cannot start.
		cancel(errShutdown)
		a := &agentRun{s: s, rn: rn, t: t, loc: loc, opts: opts, text: newReplyText(0)}
		rn.emit("message_start", startEvent{MessageID: t.replyID, ConversationID: t.conv.ID, UserMessageID: t.user.ID})
		a.finish(ctx, errShutdown)
		close(rn.done)
		return rn
	}
	go s.execute(ctx, rn, t, loc, opts)
	return rn
}

// execute runs the agent loop of a reply and stores its outcome.
func (s *Service) execute(ctx context.Context, rn *run, t *turn, loc *time.Location, opts SendOptions) {
	defer s.runs.remove(rn)
	defer close(rn.done)
	a := &agentRun{s: s, rn: rn, t: t, loc: loc, opts: opts, text: newReplyText(s.cfg.ChatFlushBytes)}
	rn.emit("message_start", startEvent{MessageID: t.replyID, ConversationID: t.conv.ID, UserMessageID: t.user.ID})
	stopFlusher := a.startFlusher()
	err := a.safeLoop(ctx)
	stopFlusher()
	a.finish(ctx, err)
}

func (a *agentRun) safeLoop(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			a.s.logger.Error("panic in reply", "message_id", a.t.replyID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("chat: panic: %v", v)
		}
	}()
	return a.loop(ctx)
}

// loop calls the model, runs the tools it asks for and calls it again with their
// results, until it answers without tools or the step limit is reached.
func (a *agentRun) loop(ctx context.Context) error {
	p, err := a.assemble(ctx)
	if err != nil {
		return err
	}
	msgs := p.messages
	for round := 0; round < a.s.cfg.ChatMaxSteps; round++ {
		if round > 0 && a.s.ledger != nil {
			// The turn was reserved before it began; each further call checks the tokens.
			if err := a.s.ledger.CheckTokens(ctx, a.t.conv.userID, a.t.replyID, a.loc); err != nil {
				return err
			}
		}
		left, capped := a.budgetLeft()
		if capped && left <= 0 {
			return errBudget
		}
		req := &llm.Request{
			Tier: llm.TierMain, System: p.system, Messages: msgs, Tools: p.tools,
			StableMessages: len(msgs), CacheKey: cacheKey(a.t.conv.userID), AllowFallback: a.allowFallback(ctx),
		}
		if capped && left < llm.DefaultMaxTokens {
			req.MaxTokens = int(left)
		}
		turn := a.s.models.Stream(ctx, req)
		a.cur.begin(round)
		started := false
		for turn.Next() {
			ev := turn.Event()
			if ev.Type == llm.EventUsage {
				res := turn.Result()
				a.cur.usage(res.Provider, res.Model, res.Fallback, ev.Usage)
			}
			if ev.Type != llm.EventText || ev.Text == "" {
				continue
			}
			txt := ev.Text
			if !started && round > 0 && a.text.len() > 0 {
				txt = "\n\n" + txt // keep the texts of successive steps apart
			}
			started = true
			a.cur.text(len(txt))
			a.text.append(txt)
			a.rn.emit("delta", deltaEvent{Text: txt})
		}
		res, terr := turn.Result(), turn.Err()
		turn.Close()
		calls := res.Message.ToolCalls()
		// The turn's last call is recorded with the reply's final state, in its commit.
		a.account(ctx, res, round, terr != nil || len(calls) == 0)
		if terr != nil {
			return terr
		}
		if len(calls) == 0 {
			return nil
		}
		msgs = append(msgs, res.Message)
		results := make([]llm.Part, 0, len(calls))
		for _, c := range calls {
			a.rn.emit("tool_call", toolCallEvent{ToolCallID: c.ToolCallID, Tool: c.ToolName, Input: rawJSON(string(c.Input))})
			r, err := a.runTool(ctx, c)
			if err != nil {
				return err
			}
			st := Step{ToolCallID: c.ToolCallID, Tool: c.ToolName, Input: string(c.Input), Result: r.Text, IsError: r.IsError,
				WritesMemory: r.writesMemory, Change: r.Change, Undo: r.Undo, seq: a.steps, round: round, textOffset: a.text.len()}
			if err := a.s.store.AddStep(context.WithoutCancel(ctx), a.t.conv.userID, a.t.replyID, a.text.String(), st); err != nil {
				return err
			}
			a.steps++
			a.rn.emit("tool_result", st.resultEvent())
			results = append(results, llm.ToolResultPart(c.ToolCallID, c.ToolName, r.Text, r.IsError))
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleUser, Parts: results})
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	return errStepLimit
}

// budgetLeft is what is left of the turn's token budget (SendOptions.MaxTokens): capped
// is false when the turn has none.
func (a *agentRun) budgetLeft() (left int64, capped bool) {
	if a.opts.MaxTokens <= 0 {
		return 0, false
	}
	u := a.usage
	return a.opts.MaxTokens - (u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens + u.OutputTokens), true
}

// allowFallback is asked by the router before a fallback provider serves the reply.
func (a *agentRun) allowFallback(ctx context.Context) func(string) error {
	return func(provider string) error {
		if a.s.ledger == nil {
			return nil
		}
		ok, err := a.s.ledger.FallbackAllowed(ctx, a.t.conv.userID, a.loc)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.QuotaExceeded, "fallback allowance used up")
		}
		return nil
	}
}

// account records one model call: in the ledger, and in the reply's totals. A call that
// did not complete (stopped, cut) has no final usage from its provider: its output is
// estimated from the text it streamed, never less than the provider reported so far.
// The last call of the turn (last) goes to the ledger with the reply's final state
// (finish), in the same transaction, rather than in a commit of its own.
func (a *agentRun) account(ctx context.Context, res llm.Result, seq int, last bool) {
	chars := a.cur.end()
	if res.Provider == "" {
		return
	}
	a.provider, a.model, a.fallback = res.Provider, res.Model, a.fallback || res.Fallback
	if res.StopReason == "" {
		res.Usage.OutputTokens = max(res.Usage.OutputTokens, textTokens(chars))
	}
	u := totals(res.Usage)
	if u == (TokenTotals{}) {
		return
	}
	a.usage = a.usage.add(u)
	c := ModelCall{UserID: a.t.conv.userID, ConversationID: a.t.conv.ID, MessageID: a.t.replyID,
		Provider: res.Provider, Model: res.Model, Fallback: res.Fallback, Usage: res.Usage, At: a.s.now(), Loc: a.loc, Seq: seq}
	if last {
		a.lastCall = &c
	} else {
		a.s.recordCall(context.WithoutCancel(ctx), c)
	}
	a.rn.emit("usage", usageEvent{TokenTotals: a.usage, Provider: a.provider, Model: a.model, Fallback: a.fallback})
}

// recordCall adds a model call to the ledger; a ledger failure is logged, not fatal to
// the reply already generated.
func (s *Service) recordCall(ctx context.Context, c ModelCall) {
	if s.ledger == nil {
		return
	}
	if err := s.ledger.RecordCall(ctx, c); err != nil {
		s.logger.Error("recording usage failed", "message_id", c.MessageID, "error", err)
	}
}

func totals(u llm.Usage) TokenTotals {
	return TokenTotals{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadTokens, CacheWriteTokens: u.CacheWriteTokens}
}
