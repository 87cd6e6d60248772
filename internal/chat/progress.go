package chat

import (
	"sync"

	"myally.app/ally/internal/llm"
)

// callProgress is the model call a reply is streaming, shared by the agent loop (which
// updates it) and the flusher (which saves it with the reply's text, so that a call cut
// by a crash is still counted).
type callProgress struct {
	mu     sync.Mutex
	active bool
	seq    int
	chars  int
	call   ModelCall
}

// begin starts the seq-th call of the turn.
func (p *callProgress) begin(seq int) {
	p.mu.Lock()
	p.active, p.seq, p.chars, p.call = true, seq, 0, ModelCall{}
	p.mu.Unlock()
}

// usage notes the provider serving the call and its usage so far.
func (p *callProgress) usage(provider, model string, fallback bool, u llm.Usage) {
	p.mu.Lock()
	p.call.Provider, p.call.Model, p.call.Fallback, p.call.Usage = provider, model, fallback, u
	p.mu.Unlock()
}

// text notes n more bytes of streamed text.
func (p *callProgress) text(n int) {
	p.mu.Lock()
	p.chars += n
	p.mu.Unlock()
}

// end ends the call and returns how much text it streamed.
func (p *callProgress) end() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = false
	return p.chars
}

// snapshot returns the call in progress for the reply, with its output estimated from the
// text streamed (the provider's own count comes only at the end); nil between calls.
func (p *callProgress) snapshot(a *agentRun) *ModelCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active || p.call.Provider == "" {
		return nil
	}
	c := p.call
	c.UserID, c.ConversationID, c.MessageID, c.Seq = a.t.conv.userID, a.t.conv.ID, a.t.replyID, p.seq
	c.Usage.OutputTokens = max(c.Usage.OutputTokens, textTokens(p.chars))
	return &c
}
