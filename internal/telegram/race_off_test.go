//go:build !race

package telegram_test

// burstChats × 100 updates make the burst: 10,000.
const burstChats = 100
