package chat

import (
	"context"
	"errors"
	"time"

	"myally.app/ally/internal/errs"
	"myally.app/ally/internal/llm"
)

// finishTimeout bounds storing a reply's final state, which happens even when the run's
// own context has ended (stop, shutdown).
const finishTimeout = 10 * time.Second

// outcome turns how the loop ended into the reply's status and, for failures, the error
// the user sees.
func (a *agentRun) outcome(ctx context.Context, err error) (status string, e *errorEvent) {
	if err == nil {
		return StatusComplete, nil
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errStopped), errors.Is(cause, errReplyGone):
		return StatusStopped, nil
	case errors.Is(cause, errShutdown):
		return StatusInterrupted, &errorEvent{Code: StatusInterrupted, Message: interruptedMessage}
	}
	var refused *llm.FallbackRefusedError
	switch {
	case errors.Is(err, errBudget):
		return StatusFailed, &errorEvent{Code: "budget_exceeded", Message: "The reply used the most tokens this run may take; it ends with what it has."}
	case errors.Is(err, errStepLimit):
		return StatusFailed, &errorEvent{Code: "step_limit", Message: "The assistant used the most tool steps one reply may take; ask it to continue."}
	case errors.As(err, &refused) && errs.Is(refused.Reason, errs.QuotaExceeded):
		return StatusFailed, &errorEvent{Code: string(errs.QuotaExceeded), Message: "The main model provider is unavailable and your plan's fallback allowance for today is used up; try again later."}
	case errs.Is(err, errs.QuotaExceeded):
		e, _ := errs.As(err)
		return StatusFailed, &errorEvent{Code: string(errs.QuotaExceeded), Message: e.Message}
	case errs.Is(err, errs.NoProvider):
		return StatusFailed, &errorEvent{Code: string(errs.NoProvider), Message: errNoProvider.Message}
	case llm.KindOf(err) == llm.KindContextTooLong:
		return StatusFailed, &errorEvent{Code: "context_too_long", Message: "The conversation is too long for the model; start a new conversation."}
	case llm.KindOf(err) != 0 || errors.As(err, &refused):
		return StatusFailed, &errorEvent{Code: "provider_unavailable", Message: "The model provider is unavailable right now; try again in a moment."}
	}
	return StatusFailed, &errorEvent{Code: string(errs.Internal), Message: "Something went wrong while writing this reply; try again."}
}

// finish stores the reply's final state and ends its event log.
func (a *agentRun) finish(ctx context.Context, err error) {
	status, e := a.outcome(ctx, err)
	if status == StatusFailed {
		if e.Code == string(errs.Internal) {
			a.s.logger.Error("reply failed", "message_id", a.t.replyID, "error", err)
		} else {
			a.s.logger.Warn("reply failed", "message_id", a.t.replyID, "code", e.Code, "error", err)
		}
	}
	o := replyOutcome{userID: a.t.conv.userID, convID: a.t.conv.ID, replyID: a.t.replyID, status: status,
		content: a.text.String(), provider: a.provider, model: a.model, fallback: a.fallback, usage: a.usage, call: a.lastCall,
		titled: a.t.conv.titleSource != titleAuto}
	if e != nil {
		o.errCode, o.errMessage = e.Code, e.Message
	}
	// A reply that failed before producing anything (a provider error, no provider)
	// does not cost the user a message.
	o.giveBack = status == StatusFailed && a.text.len() == 0 && a.steps == 0
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := a.s.store.FinishReply(sctx, o); err != nil {
		a.s.logger.Error("storing a finished reply failed", "message_id", a.t.replyID, "error", err)
		if o.call != nil {
			// The reply stays held until the sweep frees it; its last call still counts.
			a.s.recordCall(sctx, *o.call)
		}
	}
	if e != nil {
		a.rn.emit("error", *e)
	}
	a.rn.emit("message_end", endEvent{Status: status, Usage: a.usage})
	a.rn.finish()
}
