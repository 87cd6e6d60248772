package jobs

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
)

// Metrics counts finished jobs and their run time, by kind and outcome.
type Metrics struct {
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the job metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ally_jobs_finished_total",
			Help: "Job attempts that ended, by kind and outcome (completed, failed, cancelled, snoozed).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ally_job_run_seconds",
			Help:    "Time a job attempt spent running, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 8),
		}, []string{"kind"}),
	}
	reg.MustRegister(m.finished, m.duration)
	return m
}

func (m *Metrics) consume(events <-chan *river.Event, done chan<- struct{}) {
	defer close(done)
	for ev := range events {
		if ev == nil || ev.Job == nil {
			continue
		}
		outcome := string(ev.Kind)
		switch ev.Kind {
		case river.EventKindJobCompleted:
			outcome = "completed"
		case river.EventKindJobFailed:
			outcome = "failed"
		case river.EventKindJobCancelled:
			outcome = "cancelled"
		case river.EventKindJobSnoozed:
			outcome = "snoozed"
		}
		m.finished.WithLabelValues(ev.Job.Kind, outcome).Inc()
		if ev.JobStats != nil {
			m.duration.WithLabelValues(ev.Job.Kind).Observe(ev.JobStats.RunDuration.Seconds())
		}
	}
}
