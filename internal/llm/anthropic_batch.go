package llm

import (
	"context"
	"errors"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// BatchRequest is one request of an Anthropic Message Batch, matched to its result by
// CustomID.
type BatchRequest struct {
	CustomID string
	Request  *Request
}

// BatchStatus is the progress of a Message Batch.
type BatchStatus struct {
	ID string
	// Ended is true once every request has a result to fetch.
	Ended                                             bool
	Processing, Succeeded, Errored, Canceled, Expired int64
}

// BatchResult is the outcome of one request of a batch: Result when it succeeded, else
// Err (an *Error for errored requests; canceled and expired ones are KindTransient).
type BatchResult struct {
	CustomID string
	Result   Result
	Err      error
}

// CreateBatch submits requests as a Message Batch (half the price of direct calls,
// answered within 24 hours) on the model of tier.
func (a *Anthropic) CreateBatch(ctx context.Context, tier Tier, reqs []BatchRequest) (BatchStatus, error) {
	if len(reqs) == 0 {
		return BatchStatus{}, &Error{Provider: a.Name(), Kind: KindInvalid, Err: errors.New("a batch needs at least one request")}
	}
	model := a.Model(tier)
	params := anthropic.MessageBatchNewParams{Requests: make([]anthropic.MessageBatchNewParamsRequest, len(reqs))}
	for i, r := range reqs {
		p, err := a.Params(model, r.Request)
		if err != nil {
			return BatchStatus{}, &Error{Provider: a.Name(), Kind: KindInvalid, Err: err}
		}
		params.Requests[i] = anthropic.MessageBatchNewParamsRequest{CustomID: r.CustomID, Params: anthropic.MessageBatchNewParamsRequestParams{
			MaxTokens: p.MaxTokens, Messages: p.Messages, Model: p.Model, System: p.System, Tools: p.Tools,
		}}
	}
	b, err := a.client.Messages.Batches.New(ctx, params)
	if err != nil {
		return BatchStatus{}, a.classify(ctx, err)
	}
	return batchStatus(b), nil
}

// PollBatch returns the batch's progress; poll until Ended, then fetch BatchResults.
func (a *Anthropic) PollBatch(ctx context.Context, id string) (BatchStatus, error) {
	b, err := a.client.Messages.Batches.Get(ctx, id, anthropic.MessageBatchGetParams{})
	if err != nil {
		return BatchStatus{}, a.classify(ctx, err)
	}
	return batchStatus(b), nil
}

// BatchResults streams the results of an ended batch to fn, in the order the API sends
// them (not necessarily the order of the requests). An error from fn stops the stream.
func (a *Anthropic) BatchResults(ctx context.Context, id string, fn func(BatchResult) error) error {
	s := a.client.Messages.Batches.ResultsStreaming(ctx, id, anthropic.MessageBatchResultsParams{})
	defer s.Close()
	for s.Next() {
		r := s.Current()
		out := BatchResult{CustomID: r.CustomID}
		switch r.Result.Type {
		case "succeeded":
			out.Result = a.result(&r.Result.Message)
		case "errored":
			e := &r.Result.Error.Error
			out.Err = &Error{Provider: a.Name(), Kind: anthropicKindForType(string(e.Type), e.Message), Type: string(e.Type), Err: errors.New(e.Message)}
		default:
			out.Err = &Error{Provider: a.Name(), Kind: KindTransient, Type: r.Result.Type, Err: errors.New("batch request " + r.Result.Type)}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		return a.classify(ctx, err)
	}
	return nil
}

func batchStatus(b *anthropic.MessageBatch) BatchStatus {
	c := b.RequestCounts
	return BatchStatus{ID: b.ID, Ended: b.ProcessingStatus == anthropic.MessageBatchProcessingStatusEnded,
		Processing: c.Processing, Succeeded: c.Succeeded, Errored: c.Errored, Canceled: c.Canceled, Expired: c.Expired}
}

// result converts a complete (non-streamed) message.
func (a *Anthropic) result(m *anthropic.Message) Result {
	r := Result{Provider: a.Name(), Model: string(m.Model), StopReason: anthropicStop(m.StopReason), Message: Message{Role: RoleAssistant}}
	for _, c := range m.Content {
		switch c.Type {
		case "text":
			r.Message.Parts = append(r.Message.Parts, TextPart(c.Text))
		case "tool_use":
			r.Message.Parts = append(r.Message.Parts, ToolUsePart(c.ID, c.Name, jsonObject(c.Input)))
		}
	}
	u := &m.Usage
	r.Usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadInputTokens,
		CacheWriteTokens: u.CacheCreationInputTokens, CacheWrite5mTokens: u.CacheCreation.Ephemeral5mInputTokens,
		CacheWrite1hTokens: u.CacheCreation.Ephemeral1hInputTokens}
	return r
}
