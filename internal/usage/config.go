package usage

import "myally.app/ally/internal/config"

// The plans and prices are checked when the configuration loads, so a typo stops the
// server at start-up with the variable named, not at the first turn.
func init() {
	config.RegisterValidator(func(c config.Config) []string {
		var p []string
		if _, err := ParsePlans(c.Plans); err != nil {
			p = append(p, "ALLY_PLANS: "+err.Error())
		}
		if _, err := ParsePrices(c.ModelPrices); err != nil {
			p = append(p, "ALLY_MODEL_PRICES: "+err.Error())
		}
		return p
	})
}
