//go:build race

package telegram_test

// burstChats is smaller under the race detector, which makes each update several times
// slower; the full 10,000-update burst runs without it.
const burstChats = 20
