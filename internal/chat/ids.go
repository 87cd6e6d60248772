package chat

import "crypto/rand"

// newID returns an unguessable identifier (26 base32 characters, 130 random bits), so a
// resource id reveals nothing and cannot be probed.
func newID() string { return rand.Text() }
