package chat

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
)

// Why a run was cancelled (context.Cause of its context).
var (
	errStopped  = errors.New("chat: reply stopped by the user")
	errShutdown = errors.New("chat: server shutting down")
)

// event is one SSE event of a reply, encoded once however many streams follow it.
type event struct {
	seq  int
	name string
	data []byte
	// text is the text of a delta, so that a catching-up stream can merge deltas.
	text string
}

// run is a reply being generated on this instance. Its events are kept in order for the
// whole run, so any stream can replay them from the start and then follow: followers read
// the log at their own pace and never block the run (a follower too slow to take its
// writes is dropped by its write deadline).
type run struct {
	replyID, convID, userID string
	cancel                  context.CancelCauseFunc
	// done is closed once the reply's final state is stored.
	done chan struct{}

	mu       sync.Mutex
	events   []event
	finished bool
	wake     chan struct{}
}

func newRun(replyID, convID, userID string, cancel context.CancelCauseFunc) *run {
	return &run{replyID: replyID, convID: convID, userID: userID, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{})}
}

// emit appends an event and wakes the followers.
func (r *run) emit(name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	ev := event{name: name, data: b}
	if d, ok := data.(deltaEvent); ok {
		ev.text = d.Text
	}
	r.mu.Lock()
	ev.seq = len(r.events) + 1
	r.events = append(r.events, ev)
	close(r.wake)
	r.wake = make(chan struct{})
	r.mu.Unlock()
}

// finish marks the log complete: followers end after its last event.
func (r *run) finish() {
	r.mu.Lock()
	r.finished = true
	close(r.wake)
	r.wake = make(chan struct{})
	r.mu.Unlock()
}

// complete reports whether the log has its last event (the reply's final state is stored).
func (r *run) complete() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

// since returns the events after seq after, a channel closed when more arrive, and
// whether the log is complete.
func (r *run) since(after int) ([]event, <-chan struct{}, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if after < 0 {
		after = 0
	}
	var evs []event
	if after < len(r.events) {
		evs = r.events[after:len(r.events):len(r.events)]
	}
	return evs, r.wake, r.finished
}

// registry holds the runs of this instance, by reply and by conversation.
type registry struct {
	mu      sync.Mutex
	byReply map[string]*run
	byConv  map[string]*run
	closing bool
	wg      sync.WaitGroup
}

func (g *registry) init() {
	g.byReply = map[string]*run{}
	g.byConv = map[string]*run{}
}

// add registers a run; it fails once shutdown has begun.
func (g *registry) add(r *run) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.byReply[r.replyID] = r
	g.byConv[r.convID] = r
	g.wg.Add(1)
	return true
}

func (g *registry) remove(r *run) {
	g.mu.Lock()
	delete(g.byReply, r.replyID)
	if g.byConv[r.convID] == r {
		delete(g.byConv, r.convID)
	}
	g.mu.Unlock()
	g.wg.Done()
}

func (g *registry) reply(id string) *run {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byReply[id]
}

func (g *registry) conversation(id string) *run {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byConv[id]
}

// ids returns the replies in progress here.
func (g *registry) ids() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.byReply))
	for id := range g.byReply {
		out = append(out, id)
	}
	return out
}

// close refuses new runs and returns those in progress.
func (g *registry) close() []*run {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closing = true
	out := make([]*run, 0, len(g.byReply))
	for _, r := range g.byReply {
		out = append(out, r)
	}
	return out
}

// The payloads of the SSE events of a reply.
type (
	startEvent struct {
		MessageID      string `json:"message_id"`
		ConversationID string `json:"conversation_id"`
		// UserMessageID is the user message the reply answers.
		UserMessageID string `json:"user_message_id,omitempty"`
	}
	deltaEvent struct {
		Text string `json:"text"`
	}
	toolCallEvent struct {
		ToolCallID string          `json:"tool_call_id"`
		Tool       string          `json:"tool"`
		Input      json.RawMessage `json:"input"`
	}
	toolResultEvent struct {
		ToolCallID   string `json:"tool_call_id"`
		Tool         string `json:"tool"`
		Result       string `json:"result"`
		IsError      bool   `json:"is_error"`
		WritesMemory bool   `json:"writes_memory"`
		// Change and Undo: see ToolResult.
		Change bool            `json:"change"`
		Undo   json.RawMessage `json:"undo"`
	}
	usageEvent struct {
		TokenTotals
		Provider string `json:"provider,omitempty"`
		Model    string `json:"model,omitempty"`
		Fallback bool   `json:"fallback"`
	}
	endEvent struct {
		Status string      `json:"status"`
		Usage  TokenTotals `json:"usage"`
	}
	errorEvent struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)
