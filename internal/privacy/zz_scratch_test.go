package privacy

import (
	"context"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
)

func TestScratchList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ts, err := SchemaTables(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ts {
			cols, err := Columns(context.Background(), d, n)
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			for _, c := range cols {
				s += " " + c.Name + ":" + c.Type
				if c.References != "" {
					s += "->" + c.References
				}
				if c.Generated {
					s += "(gen)"
				}
			}
			t.Log(n, s)
		}
	})
}
