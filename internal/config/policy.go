package config

func init() { RegisterValidator(validatePolicy) }

// validatePolicy checks the policy-page and changelog settings.
func validatePolicy(c Config) []string {
	var out []string
	if c.PolicyNoticeDays < 0 || c.PolicyNoticeDays > 365 {
		out = append(out, "ALLY_POLICY_NOTICE_DAYS: must be between 0 and 365")
	}
	if len(c.OperatorName) > 200 {
		out = append(out, "ALLY_OPERATOR_NAME: at most 200 characters")
	}
	if len(c.PrivacyContact) > 320 {
		out = append(out, "ALLY_PRIVACY_CONTACT: at most 320 characters")
	}
	return out
}
