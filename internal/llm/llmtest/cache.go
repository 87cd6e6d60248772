package llmtest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// PromptCache is the caching mode of the Anthropic fake: it applies Anthropic's prompt
// caching rules to /v1/messages requests and reports the usage the real API would.
//
//   - Breakpoints are the blocks with "cache_control": tools, system blocks and message
//     content blocks, in the canonical order tools → system → messages. More than
//     MaxBreakpoints is refused with 400 invalid_request_error, as is a 1-hour breakpoint
//     after a 5-minute one (longer lifetimes must come first).
//   - A breakpoint caches the prefix up to and including its block when that prefix holds
//     at least MinCacheTokens of the model (1,024; 2,048 for Haiku models); a shorter
//     prefix is not cached and is no error.
//   - The cache key is the model and the exact bytes of the prefix: every block is
//     re-encoded canonically (keys sorted, cache_control removed, a message block prefixed
//     with its role), so a changed byte anywhere before a breakpoint misses while the
//     placement of cache_control itself does not change the key.
//   - Lookup: at each breakpoint the fake checks the prefixes ending at that block and at
//     each of the LookbackBlocks (20) blocks before it, and reads the longest cached one
//     among all breakpoints. This is the documented behaviour of the real API; the fake
//     simplifies it in that every block boundary counts as one block (a tool, a system
//     block, a message content block) and that it does not model the API's eventual
//     consistency (an entry is readable by the very next request).
//   - Writes: every cacheable breakpoint after the longest hit is written. The tokens from
//     the hit to a breakpoint count as cache creation of that breakpoint's lifetime
//     (ephemeral_5m_input_tokens or ephemeral_1h_input_tokens); what follows the last
//     written breakpoint is ordinary input.
//   - Lifetime: 5 minutes, or 1 hour with "ttl":"1h", counted from the last write or
//     read; a read refreshes the entry read and the entries of the same request's
//     breakpoints before it.
//   - Tokens are estimated as one per four bytes of the canonical encoding of each block,
//     cumulated over the prefix (EstimateTokens), so a prefix's count does not depend on
//     what follows it. tool_choice, thinking and images are not modelled.
//
// The clock is injectable for lifetime tests. Message Batches are not cached.
type PromptCache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]*cacheEntry
	log     []CacheResult
}

type cacheEntry struct {
	ttl     time.Duration
	expires time.Time
}

// Prompt caching constants of the real API.
const (
	MaxBreakpoints = 4
	LookbackBlocks = 20
	ttl5m          = 5 * time.Minute
	ttl1h          = time.Hour
)

// NewPromptCache returns an empty prompt cache reading time from now (time.Now if nil).
func NewPromptCache(now func() time.Time) *PromptCache {
	if now == nil {
		now = time.Now
	}
	return &PromptCache{now: now, entries: map[[32]byte]*cacheEntry{}}
}

// MinCacheTokens is the shortest prefix a breakpoint caches for model: 2,048 tokens for
// Haiku models, 1,024 for Sonnet, Opus and the others.
func MinCacheTokens(model string) int64 {
	if strings.Contains(strings.ToLower(model), "haiku") {
		return 2048
	}
	return 1024
}

// EstimateTokens is the fake's token estimate of n bytes: one token per four bytes.
func EstimateTokens(n int) int64 { return int64(n / 4) }

// CacheResult is what the cache did with one request, with the usage it reports.
type CacheResult struct {
	Model string
	// Blocks is the number of blocks of the request; Breakpoints where they were (block
	// indexes, in order) and HitBlock the index of the block the longest hit ended at (-1:
	// none).
	Blocks      int
	Breakpoints []int
	HitBlock    int
	// InputTokens is the uncached input; the three together are the whole prompt.
	InputTokens         int64
	CacheReadTokens     int64
	CacheCreationTokens int64
	Creation5mTokens    int64
	Creation1hTokens    int64
	// ExpiredTokens is the length of the longest prefix whose entry the lookup found
	// expired (0: none).
	ExpiredTokens int64
	// Prefix describes each block of the request, so that a caller can find the first
	// block where two requests part.
	Prefix []PrefixBlock
}

// PrefixBlock is one block of a request as the cache saw it.
type PrefixBlock struct {
	// Kind is "tools", "system" or "messages"; Role the message's role (or "tool",
	// "system").
	Kind, Role string
	// Tokens is the estimate of the prefix up to and including this block.
	Tokens int64
	// Sum is a digest of the block's canonical bytes.
	Sum [8]byte
	// Text is the start of the block's text, for reports.
	Text string
}

// Results returns what the cache did with each request so far, in order.
func (c *PromptCache) Results() []CacheResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CacheResult(nil), c.log...)
}

// cacheRequestError is a request the real API refuses.
type cacheRequestError struct{ msg string }

func (e *cacheRequestError) Error() string { return e.msg }

// block is one cacheable unit of a request in canonical order.
type block struct {
	kind string // "tools", "system", "messages"
	role string
	text string
	raw  []byte // canonical bytes
	ttl  time.Duration
	cc   bool // carries cache_control
}

// apply computes the usage of a request body and updates the cache.
func (c *PromptCache) apply(body []byte) (CacheResult, error) {
	var req struct {
		Model  string            `json:"model"`
		Tools  []json.RawMessage `json:"tools"`
		System json.RawMessage   `json:"system"`
		Msgs   []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return CacheResult{}, &cacheRequestError{"request body is not valid JSON"}
	}
	var blocks []block
	add := func(kind, prefix string, raw json.RawMessage) error {
		b, err := canonicalBlock(kind, prefix, raw)
		if err != nil {
			return err
		}
		blocks = append(blocks, b)
		return nil
	}
	for _, t := range req.Tools {
		if err := add("tools", "tool", t); err != nil {
			return CacheResult{}, err
		}
	}
	for _, raw := range contentBlocks(req.System) {
		if err := add("system", "system", raw); err != nil {
			return CacheResult{}, err
		}
	}
	for _, m := range req.Msgs {
		for _, raw := range contentBlocks(m.Content) {
			if err := add("messages", m.Role, raw); err != nil {
				return CacheResult{}, err
			}
		}
	}

	res := CacheResult{Model: req.Model, Blocks: len(blocks), HitBlock: -1}
	var lastTTL time.Duration
	for i, b := range blocks {
		if !b.cc {
			continue
		}
		res.Breakpoints = append(res.Breakpoints, i)
		if lastTTL != 0 && b.ttl > lastTTL {
			return CacheResult{}, &cacheRequestError{`a "ttl"="1h" cache_control block must not come after a "ttl"="5m" one`}
		}
		lastTTL = b.ttl
	}
	if len(res.Breakpoints) > MaxBreakpoints {
		return CacheResult{}, &cacheRequestError{fmt.Sprintf("A maximum of %d blocks with cache_control may be provided. Found %d.", MaxBreakpoints, len(res.Breakpoints))}
	}

	// Cumulative prefix keys and token counts.
	keys := make([][32]byte, len(blocks))
	tokens := make([]int64, len(blocks))
	h := sha256.New()
	h.Write([]byte(req.Model))
	h.Write([]byte{0})
	size := 0
	for i, b := range blocks {
		h.Write(b.raw)
		h.Write([]byte{0})
		size += len(b.raw)
		copy(keys[i][:], h.Sum(nil))
		tokens[i] = EstimateTokens(size)
		pb := PrefixBlock{Kind: b.kind, Role: b.role, Tokens: tokens[i], Text: b.text}
		sum := sha256.Sum256(b.raw)
		copy(pb.Sum[:], sum[:])
		res.Prefix = append(res.Prefix, pb)
	}
	var total int64
	if len(blocks) > 0 {
		total = tokens[len(blocks)-1]
	}
	min := MinCacheTokens(req.Model)

	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	live := func(i int) *cacheEntry {
		e := c.entries[keys[i]]
		if e == nil {
			return nil
		}
		if !now.Before(e.expires) {
			delete(c.entries, keys[i])
			res.ExpiredTokens = max(res.ExpiredTokens, tokens[i])
			return nil
		}
		return e
	}
	for _, bp := range res.Breakpoints {
		for j := bp; j >= 0 && j >= bp-LookbackBlocks; j-- {
			if j <= res.HitBlock {
				break
			}
			if tokens[j] >= min && live(j) != nil {
				res.HitBlock = j
				break
			}
		}
	}
	cur := int64(0)
	if res.HitBlock >= 0 {
		cur = tokens[res.HitBlock]
		res.CacheReadTokens = cur
		e := c.entries[keys[res.HitBlock]]
		e.expires = now.Add(e.ttl)
		for _, bp := range res.Breakpoints {
			if bp < res.HitBlock {
				if e := live(bp); e != nil {
					e.expires = now.Add(e.ttl)
				}
			}
		}
	}
	for _, bp := range res.Breakpoints {
		if bp <= res.HitBlock || tokens[bp] < min {
			continue
		}
		seg := tokens[bp] - cur
		if blocks[bp].ttl == ttl1h {
			res.Creation1hTokens += seg
		} else {
			res.Creation5mTokens += seg
		}
		c.entries[keys[bp]] = &cacheEntry{ttl: blocks[bp].ttl, expires: now.Add(blocks[bp].ttl)}
		cur = tokens[bp]
	}
	res.CacheCreationTokens = res.Creation5mTokens + res.Creation1hTokens
	res.InputTokens = total - cur
	c.log = append(c.log, res)
	return res, nil
}

// contentBlocks splits a system or message content value into its blocks: a string is
// one text block.
func contentBlocks(raw json.RawMessage) []json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		b, _ := json.Marshal(map[string]string{"type": "text", "text": s})
		return []json.RawMessage{b}
	}
	var out []json.RawMessage
	json.Unmarshal(raw, &out)
	return out
}

// canonicalBlock re-encodes a block with sorted keys and without cache_control, and
// reads its cache_control.
func canonicalBlock(kind, prefix string, raw json.RawMessage) (block, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return block{}, &cacheRequestError{kind + ": a block is not a JSON object"}
	}
	b := block{kind: kind, role: prefix}
	if t, ok := m["text"].(string); ok {
		b.text = t
	} else if n, ok := m["name"].(string); ok {
		b.text = n
	} else if t, ok := m["type"].(string); ok {
		b.text = t
	}
	b.text = clip(b.text, 80)
	if cc, ok := m["cache_control"]; ok && cc != nil {
		ccm, _ := cc.(map[string]any)
		if ccm["type"] != "ephemeral" {
			return block{}, &cacheRequestError{kind + `.cache_control.type: Input should be 'ephemeral'`}
		}
		b.cc, b.ttl = true, ttl5m
		switch ccm["ttl"] {
		case nil, "5m":
		case "1h":
			b.ttl = ttl1h
		default:
			return block{}, &cacheRequestError{kind + `.cache_control.ttl: Input should be '5m' or '1h'`}
		}
	}
	delete(m, "cache_control")
	enc, _ := json.Marshal(m) // map keys are sorted
	b.raw = append([]byte(prefix+":"), enc...)
	return b, nil
}
