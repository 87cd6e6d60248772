package auth

// Standing is the account's state for work done on the user's behalf while they are away
// (scheduled tasks): StatusActive, StatusSuspended or StatusDeleted.
func (u User) Standing() string {
	if u.deleted {
		return StatusDeleted
	}
	return u.status
}
