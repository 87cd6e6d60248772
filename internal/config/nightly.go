package config

func init() { RegisterValidator(validateNightly) }

// validateNightly checks the nightly-analysis settings.
func validateNightly(c Config) []string {
	var out []string
	if c.NightlyHour < 0 || c.NightlyHour > 23 {
		out = append(out, "ALLY_NIGHTLY_HOUR: must be an hour from 0 to 23")
	}
	if c.NightlyTokens < 2000 || c.NightlyTokens > 1_000_000 {
		out = append(out, "ALLY_NIGHTLY_TOKENS: must be between 2000 and 1000000")
	}
	return out
}
