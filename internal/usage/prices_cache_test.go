package usage_test

import (
	"testing"

	"myally.app/ally/internal/usage"
)

// TestOneHourCacheWritesCostTwiceInput: tokens written to the 1-hour cache cost twice the
// input price, the 5-minute ones the cache-write price (1.25×).
func TestOneHourCacheWritesCostTwiceInput(t *testing.T) {
	p, _ := usage.DefaultPrices().Lookup("claude-sonnet-4-5")
	fiveMin := p.CostMicros(0, 0, 0, 1_000_000)
	oneHour := fiveMin + p.LongWriteExtraMicros(1_000_000)
	if fiveMin != 3_750_000 || oneHour != 6_000_000 {
		t.Fatalf("a million tokens written: 5m %d µ$, 1h %d µ$; want 3,750,000 and 6,000,000", fiveMin, oneHour)
	}
	if p.LongWriteExtraMicros(0) != 0 {
		t.Fatal("no 1-hour tokens cost extra")
	}
}
