package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// SQLite has no LISTEN/NOTIFY: River's SQLite driver keeps notifications (a job was
// inserted, a leader resigned, a job is to be cancelled) in the river_notification table,
// and its listener reads that table every 50 ms, which is most of what an idle server
// spends. This process is the only writer of its SQLite database, so it knows when a
// notification can have been written: after one of its write transactions committed.
// The listener below reads the table at once after such a commit (Wake), and otherwise
// every listenPoll, so a job inserted with a change still starts within milliseconds of
// the commit while an idle server reads the table once a second.

// listenPoll is how often the listener reads the notification table without a wake-up.
const listenPoll = time.Second

// listenMinGap spaces reads under load: commits that arrive faster share one read.
const listenMinGap = 5 * time.Millisecond

// sqliteDriver is River's SQLite driver with the listener below.
type sqliteDriver struct {
	*riversqlite.Driver
	db   *sql.DB
	wake chan struct{}
}

func newSQLiteDriver(d *sql.DB) *sqliteDriver {
	return &sqliteDriver{Driver: riversqlite.New(d), db: d, wake: make(chan struct{}, 1)}
}

// Wake tells the listener that a write transaction committed.
func (d *sqliteDriver) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *sqliteDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &sqliteListener{db: d.db, schema: params.Schema, wake: d.wake, topics: map[string]int64{}}
}

// sqliteListener delivers the rows of river_notification after the last one seen, for
// the topics listened to, as River's own SQLite listener does.
type sqliteListener struct {
	db     *sql.DB
	schema string
	wake   <-chan struct{}

	mu        sync.Mutex
	connected bool
	lastID    int64
	topics    map[string]int64 // topic → the last id before it was listened to
	pending   []notificationRow
	lastRead  time.Time
}

type notificationRow struct {
	id             int64
	payload, topic string
}

func (l *sqliteListener) table() string {
	if l.schema != "" {
		return l.schema + ".river_notification"
	}
	return "river_notification"
}

func (l *sqliteListener) lastNotification(ctx context.Context) (int64, error) {
	var id int64
	err := l.db.QueryRowContext(ctx, `SELECT CAST(COALESCE(MAX(id), 0) AS INTEGER) FROM `+l.table()).Scan(&id)
	return id, err
}

func (l *sqliteListener) Connect(ctx context.Context) error {
	id, err := l.lastNotification(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.connected {
		return errors.New("connection already established")
	}
	l.connected, l.lastID = true, id
	return nil
}

func (l *sqliteListener) Close(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.connected, l.pending, l.topics = false, nil, map[string]int64{}
	return nil
}

func (l *sqliteListener) Listen(ctx context.Context, topic string) error {
	id, err := l.lastNotification(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("listener is not connected")
	}
	if _, ok := l.topics[topic]; !ok {
		l.topics[topic] = max(l.lastID, id)
	}
	return nil
}

func (l *sqliteListener) Unlisten(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.topics, topic)
	return nil
}

func (l *sqliteListener) Ping(ctx context.Context) error { return l.db.PingContext(ctx) }

func (l *sqliteListener) Schema() string { return l.schema }

func (l *sqliteListener) SetAfterConnectExec(string) {}

func (l *sqliteListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		n, err := l.next(ctx)
		if err != nil || n != nil {
			return n, err
		}
		t := time.NewTimer(listenPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-l.wake:
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
		gap := listenMinGap - time.Since(l.lastRead)
		l.mu.Unlock()
		if gap > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(gap):
			}
		}
	}
}

// next returns the next pending notification of a topic listened to, reading the table
// when none is pending; nil when there is none.
func (l *sqliteListener) next(ctx context.Context) (*riverdriver.Notification, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return nil, errors.New("listener is not connected")
	}
	if len(l.pending) == 0 {
		if len(l.topics) == 0 {
			return nil, nil
		}
		topics := make([]string, 0, len(l.topics))
		for t := range l.topics {
			topics = append(topics, t)
		}
		b, _ := json.Marshal(topics)
		l.lastRead = time.Now()
		rows, err := l.db.QueryContext(ctx, `SELECT id, payload, topic FROM `+l.table()+`
			WHERE id > ? AND topic IN (SELECT value FROM json_each(CAST(? AS BLOB))) ORDER BY id LIMIT 256`, l.lastID, string(b))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		for rows.Next() {
			var r notificationRow
			if err := rows.Scan(&r.id, &r.payload, &r.topic); err != nil {
				rows.Close()
				return nil, err
			}
			l.pending = append(l.pending, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		if len(l.pending) > 0 {
			l.lastID = l.pending[len(l.pending)-1].id
		}
	}
	for len(l.pending) > 0 {
		r := l.pending[0]
		l.pending = l.pending[1:]
		if start, ok := l.topics[r.topic]; ok && r.id > start {
			return &riverdriver.Notification{Payload: r.payload, Topic: r.topic}, nil
		}
	}
	return nil, nil
}
