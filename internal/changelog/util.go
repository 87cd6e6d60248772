package changelog

import "sort"

func sortStrings(v []string) []string {
	sort.Strings(v)
	if v == nil {
		return []string{}
	}
	return v
}
