package llm

import (
	"net"
	"net/http"
	"time"
)

// ProviderConfig configures one provider adapter.
type ProviderConfig struct {
	APIKey string
	// BaseURL overrides the official endpoint (a proxy, a local fake, or for OpenAI an
	// OpenAI-compatible local server such as Ollama, llama.cpp or vLLM).
	BaseURL string
	// Model serves TierMain, SmallModel serves TierSmall (Model when empty).
	Model      string
	SmallModel string
	// CacheTTL is the Anthropic cache breakpoint lifetime: "5m" (default) or "1h".
	CacheTTL string
	// HTTPClient carries the requests; nil means a client whose dial gives up after
	// ConnectTimeout (10s when zero).
	HTTPClient *http.Client
	// ConnectTimeout bounds establishing the TCP and TLS connection.
	ConnectTimeout time.Duration
}

func (c ProviderConfig) model(t Tier) string {
	if t == TierSmall && c.SmallModel != "" {
		return c.SmallModel
	}
	return c.Model
}

func (c ProviderConfig) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return newHTTPClient(c.ConnectTimeout)
}

// newHTTPClient returns a client for streaming calls: no overall timeout (replies can be
// long; the router watches the gaps instead) but bounded connection set-up.
func newHTTPClient(connect time.Duration) *http.Client {
	if connect <= 0 {
		connect = 10 * time.Second
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = connect
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t}
}
