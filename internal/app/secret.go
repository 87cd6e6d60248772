package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"myally.app/ally/internal/config"
)

// secretFile is where the embedded default keeps its generated signing secret.
const secretFile = "jwt_secret"

// loadJWTSecret returns the token signing secret: ALLY_JWT_SECRET when set; otherwise, on
// SQLite, one generated once into the data directory (mode 0600) and reused after. With
// PostgreSQL every instance must sign alike, so the secret has to be configured.
func loadJWTSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	if cfg.IsPostgres() {
		return nil, errors.New("ALLY_JWT_SECRET: set it (32+ random bytes, the same on every instance) when ALLY_DATABASE_URL selects PostgreSQL")
	}
	path := filepath.Join(cfg.DataDir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("%s is shorter than 32 bytes; delete it to generate a new one (this signs everyone out)", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadJWTSecret(cfg) // another process created it first
		}
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return []byte(s), nil
}
