package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

// measureIdle reads the server's CPU time over d with no traffic, after ten seconds for
// the work of the sign-ins (their jobs) to settle.
func measureIdle(ally *proc, dbName string, d time.Duration) *IdleResult {
	time.Sleep(10 * time.Second)
	c0, t0 := ally.cpuSeconds(), time.Now()
	time.Sleep(d)
	c1, el := ally.cpuSeconds(), time.Since(t0).Seconds()
	return &IdleResult{Database: dbName, Seconds: el, CPUSeconds: c1 - c0, PercentOfACore: 100 * (c1 - c0) / el}
}

// runLevel measures the fake directly, then the same load through Ally, alternately
// cfg.Repetitions times, so that both see the same machine load.
func runLevel(ctx context.Context, cfg Config, ally *proc, fakeURL, pgURL string, users []*user, onLoad func()) LevelResult {
	n := len(users)
	r := LevelResult{Streams: n}
	var mu sync.Mutex
	var directTimes, firstTimes []time.Duration
	var tokensPerSec []float64
	var directElapsed, allyElapsed time.Duration
	var directDone int
	var peakRSS, idleRSS int64
	var cpuUsed, pgUsed, machineUsed, machineDirect, tx, rows float64
	for rep := range max(1, cfg.Repetitions) {
		t0, m0 := time.Now(), machineBusySeconds()
		_ = parallel(n, n, func(i int) error {
			for range cfg.TurnsPerUser {
				t := direct(ctx, users[i].http, fakeURL, "Hello there, how are you today?")
				mu.Lock()
				if t.err == nil {
					directTimes = append(directTimes, t.firstToken)
					directDone++
				}
				mu.Unlock()
			}
			return nil
		})
		directElapsed += time.Since(t0)
		machineDirect += machineBusySeconds() - m0

		runtime.GC()
		time.Sleep(300 * time.Millisecond) // let the server settle before the idle reading
		if rep == 0 {
			idleRSS = ally.rssBytes()
		}
		cpu0, machine0, pg0 := ally.cpuSeconds(), machineBusySeconds(), 0.0
		if pgURL != "" {
			pg0 = postgresCPUSeconds()
		}
		tx0, _ := metric(ally.URL, "ally_db_write_transactions_total")
		rows0, _ := metric(ally.URL, "ally_db_rows_written")

		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-tick.C:
					peakRSS = max(peakRSS, ally.rssBytes())
				}
			}
		}()
		var waits *waitSampler
		if pgURL != "" {
			waits = startWaitSampler(ctx, pgURL, os.Getenv("ALLYBENCH_WAIT_DETAIL") != "")
		}
		t0 = time.Now()
		if rep == 0 {
			onLoad()
		}
		_ = parallel(n, n, func(i int) error {
			for k := range cfg.TurnsPerUser {
				t := users[i].send(ctx, fmt.Sprintf("Benchmark message %d.%d: tell me something.", rep, k), nil)
				mu.Lock()
				r.Turns++
				if t.err != nil {
					r.Errors++
					if r.FirstError == "" {
						r.FirstError = t.err.Error()
					}
				} else {
					firstTimes = append(firstTimes, t.firstToken)
					if stream := t.total - t.firstToken; stream > 0 && t.deltas > 1 {
						tokensPerSec = append(tokensPerSec, float64(t.deltas-1)/stream.Seconds())
					}
				}
				mu.Unlock()
			}
			return nil
		})
		elapsed := time.Since(t0)
		allyElapsed += elapsed
		if waits != nil {
			r.PostgresBackends = waits.finish() // the last repetition's
		}
		cpuUsed += ally.cpuSeconds() - cpu0
		machineUsed += machineBusySeconds() - machine0
		if pgURL != "" {
			pgUsed += postgresCPUSeconds() - pg0
		}
		close(stopSampling)
		<-sampled
		time.Sleep(1500 * time.Millisecond) // PostgreSQL's statistics lag
		tx1, _ := metric(ally.URL, "ally_db_write_transactions_total")
		rows1, _ := metric(ally.URL, "ally_db_rows_written")
		tx += tx1 - tx0
		rows += rows1 - rows0
	}

	r.DirectFirstToken = percentiles(directTimes)
	r.AllyFirstToken = percentiles(firstTimes)
	r.AddedFirstToken = Percentiles{
		P50: r.AllyFirstToken.P50 - r.DirectFirstToken.P50,
		P99: r.AllyFirstToken.P99 - r.DirectFirstToken.P99,
		Max: r.AllyFirstToken.Max - r.DirectFirstToken.Max,
	}
	r.TokensPerSecond = mean(tokensPerSec)
	r.TurnsPerSecond = float64(r.Turns-r.Errors) / allyElapsed.Seconds()
	r.DirectRepliesPerSecond = float64(directDone) / directElapsed.Seconds()
	if r.DirectRepliesPerSecond > 0 {
		r.RepliesRatio = r.TurnsPerSecond / r.DirectRepliesPerSecond
	}
	r.ServerCores = cpuUsed / allyElapsed.Seconds()
	r.MachineCores = machineUsed / allyElapsed.Seconds()
	r.MachineCoresDirect = machineDirect / directElapsed.Seconds()
	if done := float64(r.Turns - r.Errors); done > 0 {
		r.CPUSecondsPerTurn = cpuUsed / done
		r.DatabaseCPUSecondsPerTurn = pgUsed / done
		r.MachineCPUSecondsPerTurn = machineUsed / done
		r.WriteTxPerTurn = tx / done
		r.RowsPerTurn = rows / done
	}
	r.IdleRSSMiB = float64(idleRSS) / (1 << 20)
	r.RSSPerStreamKiB = float64(max(0, peakRSS-idleRSS)) / 1024 / float64(n)
	return r
}
