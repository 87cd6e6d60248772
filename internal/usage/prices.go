package usage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Price is what a model costs, in US dollars per million tokens of each kind.
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
}

// Prices maps a model name to its price. A name also prices the dated snapshots that
// start with it ("claude-sonnet-4-5" prices "claude-sonnet-4-5-20250929"); the longest
// matching name wins.
type Prices map[string]Price

// DefaultPrices are the list prices of current models, used for the estimates unless
// ALLY_MODEL_PRICES overrides them. Providers without a separate charge for writing the
// cache bill those tokens as input.
func DefaultPrices() Prices {
	return Prices{
		// Anthropic (cache writes: the 5-minute cache).
		"claude-opus-4-5":   {5, 25, 0.50, 6.25},
		"claude-opus-4-1":   {15, 75, 1.50, 18.75},
		"claude-opus-4":     {15, 75, 1.50, 18.75},
		"claude-sonnet-4-5": {3, 15, 0.30, 3.75},
		"claude-sonnet-4":   {3, 15, 0.30, 3.75},
		"claude-3-7-sonnet": {3, 15, 0.30, 3.75},
		"claude-haiku-4-5":  {1, 5, 0.10, 1.25},
		"claude-3-5-haiku":  {0.80, 4, 0.08, 1},
		// OpenAI.
		"gpt-5.1":      {1.25, 10, 0.125, 1.25},
		"gpt-5":        {1.25, 10, 0.125, 1.25},
		"gpt-5-mini":   {0.25, 2, 0.025, 0.25},
		"gpt-5-nano":   {0.05, 0.40, 0.005, 0.05},
		"gpt-4.1":      {2, 8, 0.50, 2},
		"gpt-4.1-mini": {0.40, 1.60, 0.10, 0.40},
		"gpt-4.1-nano": {0.10, 0.40, 0.025, 0.10},
		"gpt-4o":       {2.50, 10, 1.25, 2.50},
		"gpt-4o-mini":  {0.15, 0.60, 0.075, 0.15},
		"o3":           {2, 8, 0.50, 2},
		"o4-mini":      {1.10, 4.40, 0.275, 1.10},
		// Google Gemini (prompts up to 200k tokens).
		"gemini-3-pro":          {2, 12, 0.20, 2},
		"gemini-2.5-pro":        {1.25, 10, 0.125, 1.25},
		"gemini-2.5-flash":      {0.30, 2.50, 0.03, 0.30},
		"gemini-2.5-flash-lite": {0.10, 0.40, 0.01, 0.10},
	}
}

// ParsePrices reads ALLY_MODEL_PRICES, a JSON object of model name to price, on top of
// DefaultPrices: listed models are added or replaced, the others keep their defaults.
func ParsePrices(raw string) (Prices, error) {
	ps := DefaultPrices()
	if len(bytes.TrimSpace([]byte(raw))) == 0 {
		return ps, nil
	}
	var extra map[string]Price
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&extra); err != nil {
		return nil, fmt.Errorf(`not a JSON object such as {"model-name": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75}}: %v`, err)
	}
	for name, p := range extra {
		if name == "" {
			return nil, fmt.Errorf("a model name is empty")
		}
		for _, v := range []float64{p.Input, p.Output, p.CacheRead, p.CacheWrite} {
			if v < 0 || math.IsNaN(v) || v > 1e6 {
				return nil, fmt.Errorf("model %q: prices must be between 0 and 1000000 dollars per million tokens", name)
			}
		}
		ps[name] = p
	}
	return ps, nil
}

// Lookup returns the price of a model and whether one is known.
func (ps Prices) Lookup(model string) (Price, bool) {
	if p, ok := ps[model]; ok {
		return p, true
	}
	best, found := "", false
	for name := range ps {
		if strings.HasPrefix(model, name) && len(name) > len(best) {
			best, found = name, true
		}
	}
	return ps[best], found
}

// CostMicros returns the cost of a call in millionths of a dollar. A price per million
// tokens is a price in micro-dollars per token; it is kept to a thousandth of that, so the
// sum is exact integer arithmetic and is rounded once.
func (p Price) CostMicros(input, output, cacheRead, cacheWrite int64) int64 {
	milli := func(v float64) int64 { return int64(math.Round(v * 1000)) }
	nano := input*milli(p.Input) + output*milli(p.Output) + cacheRead*milli(p.CacheRead) + cacheWrite*milli(p.CacheWrite)
	return (nano + 500) / 1000
}

// LongWriteExtraMicros is what writing tokens to the 1-hour cache costs beyond the
// cache-write price (that of the 5-minute cache): they cost twice the input price.
func (p Price) LongWriteExtraMicros(tokens int64) int64 {
	extra := int64(math.Round((2*p.Input - p.CacheWrite) * 1000))
	if extra <= 0 || tokens <= 0 {
		return 0
	}
	return (tokens*extra + 500) / 1000
}
