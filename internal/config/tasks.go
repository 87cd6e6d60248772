package config

func init() { RegisterValidator(validateTasks) }

// validateTasks checks the scheduled-task settings.
func validateTasks(c Config) []string {
	if c.TasksGrace <= 0 {
		return []string{"ALLY_TASKS_GRACE: must be a positive duration such as 1h"}
	}
	return nil
}
