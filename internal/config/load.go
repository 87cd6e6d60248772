package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Load reads the configuration from getenv (os.Getenv in production), applies defaults
// and validates it. All problems are reported together, each naming the variable to set.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var c Config
	var problems []string
	v := reflect.ValueOf(&c).Elem()
	for _, f := range Fields() {
		raw := getenv(f.Env)
		if raw == "" {
			raw = f.Default
		}
		if err := setField(v.FieldByName(f.Name), raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f.Env, err))
		}
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	if c.PublicURL == "" {
		c.PublicURL = c.defaultPublicURL()
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c, nil
}

// Error lists every configuration problem found.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Field describes one setting, for loading and for the reference documentation.
type Field struct {
	Name, Env, Default, Doc string
	Secret                  bool
}

// Fields lists every setting in declaration order.
func Fields() []Field {
	t := reflect.TypeOf(Config{})
	out := make([]Field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		env := sf.Tag.Get("env")
		if env == "" {
			continue
		}
		out = append(out, Field{Name: sf.Name, Env: env, Default: sf.Tag.Get("default"), Doc: sf.Tag.Get("doc"), Secret: sf.Tag.Get("secret") == "true"})
	}
	return out
}

func setField(fv reflect.Value, raw string) error {
	raw = strings.TrimSpace(raw)
	switch fv.Interface().(type) {
	case time.Duration:
		if raw == "" {
			fv.SetInt(0)
			return nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration (examples: 30s, 15m, 720h)", raw)
		}
		fv.SetInt(int64(d))
		return nil
	case []string:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		fv.Set(reflect.ValueOf(items))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Int, reflect.Int64:
		if raw == "" {
			fv.SetInt(0)
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		fv.SetInt(n)
	case reflect.Float64:
		if raw == "" {
			fv.SetFloat(0)
			return nil
		}
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		fv.SetFloat(n)
	case reflect.Bool:
		if raw == "" {
			fv.SetBool(false)
			return nil
		}
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		fv.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", fv.Type())
	}
	return nil
}

// IsPostgres reports whether the configuration selects PostgreSQL.
func (c Config) IsPostgres() bool { return c.DatabaseURL != "" }

func (c Config) validate() []string {
	var p []string
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		p = append(p, fmt.Sprintf("ALLY_ADDR: %q must be host:port, for example 127.0.0.1:8080 or :8080", c.Addr))
	}
	if c.DataDir == "" {
		p = append(p, "ALLY_DATA_DIR: must not be empty (default ./data)")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		p = append(p, "ALLY_DATABASE_URL: must be empty (SQLite) or a postgres:// URL")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, fmt.Sprintf("ALLY_PUBLIC_URL: %q must be an absolute http(s) URL such as https://ally.example.com", c.PublicURL))
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		p = append(p, "ALLY_JWT_SECRET: must be at least 32 bytes (or leave it empty to generate one in ALLY_DATA_DIR)")
	}
	if !oneOf(c.LogLevel, "debug", "info", "warn", "error") {
		p = append(p, fmt.Sprintf("ALLY_LOG_LEVEL: %q must be debug, info, warn or error", c.LogLevel))
	}
	if !oneOf(c.LogFormat, "json", "text") {
		p = append(p, fmt.Sprintf("ALLY_LOG_FORMAT: %q must be json or text", c.LogFormat))
	}
	if !oneOf(c.Mailer, "outbox", "resend", "smtp") {
		p = append(p, fmt.Sprintf("ALLY_MAILER: %q must be outbox, resend or smtp", c.Mailer))
	}
	if c.DeletionGrace <= 0 {
		p = append(p, "ALLY_DELETION_GRACE: must be a positive duration such as 720h")
	}
	if c.ShutdownTimeout <= 0 {
		p = append(p, "ALLY_SHUTDOWN_TIMEOUT: must be a positive duration such as 25s")
	}
	if c.MaxBodyBytes < 1024 {
		p = append(p, "ALLY_MAX_BODY_BYTES: must be at least 1024")
	}
	for _, tp := range c.TrustedProxies {
		if net.ParseIP(tp) == nil {
			if _, _, err := net.ParseCIDR(tp); err != nil {
				p = append(p, fmt.Sprintf("ALLY_TRUSTED_PROXIES: %q is neither an IP nor a CIDR", tp))
			}
		}
	}
	for _, v := range validators {
		p = append(p, v(c)...)
	}
	return p
}

// validators lets feature settings add their own checks (see Register).
var validators []func(Config) []string

// RegisterValidator adds a check run by Load. Feature files of this package call it from
// init, next to the fields they add.
func RegisterValidator(v func(Config) []string) { validators = append(validators, v) }

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
