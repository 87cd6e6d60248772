package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// A known device is a browser that signed in to an account successfully before. It holds
// a device cookie set at that sign-in: a random device id and an HMAC binding it to the
// account, so it cannot be forged or moved to another account, and the server stores
// nothing. Failed sign-ins from a known device do not count against the account's
// per-address limit, so guessing the password from elsewhere cannot lock the owner out of
// the devices they already use (see limitLoginEmail).
const (
	deviceCookie     = "ally_device"
	deviceCookiePath = "/api/v1/auth"
	deviceLifetime   = 180 * 24 * time.Hour
)

// deviceMAC binds a device id to an account.
func (s *Service) deviceMAC(userID, deviceID string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("ally-device\x00" + userID + "\x00" + deviceID))
	return hex.EncodeToString(m.Sum(nil))
}

// knownDevice returns the device id of the request's device cookie when it was issued for
// userID, or "".
func (s *Service) knownDevice(r *http.Request, userID string) string {
	c, err := r.Cookie(deviceCookie)
	if err != nil || userID == "" {
		return ""
	}
	id, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(id) != 32 || !hmac.Equal([]byte(mac), []byte(s.deviceMAC(userID, id))) {
		return ""
	}
	return id
}

// rememberDevice marks the browser as a known device of userID after a successful sign-in,
// keeping its device id if it had one.
func (s *Service) rememberDevice(w http.ResponseWriter, r *http.Request, userID string) {
	id := s.knownDevice(r, userID)
	if id == "" {
		id = newID()
	}
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: id + "." + s.deviceMAC(userID, id), Path: deviceCookiePath,
		MaxAge: int(deviceLifetime.Seconds()), HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteStrictMode,
	})
}
