package telegram

import (
	"context"
	"sync"
)

// dispatcher runs the work of each chat in order, one item at a time per chat, with at
// most n chats served at once; nothing is dropped (queued work waits in memory, and its
// update is stored until handled).
type dispatcher struct {
	sem    chan struct{}
	handle func(context.Context, work)

	mu     sync.Mutex
	ctx    context.Context
	queues map[int64][]work
	wg     sync.WaitGroup
}

func newDispatcher(n int, handle func(context.Context, work)) *dispatcher {
	return &dispatcher{sem: make(chan struct{}, n), handle: handle, queues: map[int64][]work{}, ctx: context.Background()}
}

func (d *dispatcher) start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ctx = ctx
}

func (d *dispatcher) context() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ctx
}

// enqueue adds work for its chat, starting the chat's runner if it has none.
func (d *dispatcher) enqueue(w work) {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, running := d.queues[w.chatID]
	d.queues[w.chatID] = append(q, w)
	if running {
		return
	}
	d.wg.Add(1)
	go d.run(d.ctx, w.chatID)
}

func (d *dispatcher) run(ctx context.Context, chatID int64) {
	defer d.wg.Done()
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		d.mu.Lock()
		delete(d.queues, chatID)
		d.mu.Unlock()
		return
	}
	defer func() { <-d.sem }()
	for {
		d.mu.Lock()
		q := d.queues[chatID]
		if len(q) == 0 {
			delete(d.queues, chatID)
			d.mu.Unlock()
			return
		}
		w := q[0]
		d.queues[chatID] = q[1:]
		d.mu.Unlock()
		d.handle(ctx, w)
	}
}

// wait blocks until every queued item is handled.
func (d *dispatcher) wait() { d.wg.Wait() }
