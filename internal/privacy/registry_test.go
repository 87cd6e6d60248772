package privacy_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"myally.app/ally/internal/db"
	"myally.app/ally/internal/db/dbtest"
	"myally.app/ally/internal/privacy"
)

func registry(t *testing.T) *privacy.Registry {
	t.Helper()
	reg, err := privacy.NewRegistry(privacy.Tables)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestEveryTableIsDeclared lists every table of the migrated schema (Ally's and the job
// queue's) and fails on any that the registry does not declare user-owned or system, so a
// table added later cannot be forgotten by the export and the purge. Declarations of tables
// that no longer exist fail too.
func TestEveryTableIsDeclared(t *testing.T) {
	reg := registry(t)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		tables, err := privacy.SchemaTables(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		present := map[string]bool{}
		for _, name := range tables {
			present[name] = true
			if _, ok := reg.Table(name); !ok {
				t.Errorf("table %s is not declared in internal/privacy/tables.go: declare it user-owned (with its owner path and export section) or system (with a reason)", name)
			}
		}
		for _, tb := range reg.Tables() {
			if !present[tb.Name] && !(d.Dialect != db.SQLite && strings.HasPrefix(tb.Name, "sqlite_")) {
				t.Errorf("table %s is declared but not in the %s schema", tb.Name, d.Dialect)
			}
		}
		// Every column an owner path names exists.
		for _, tb := range reg.UserTables() {
			for o, name := tb.Owner, tb.Name; o != nil; o, name = o.Next, o.Parent {
				cols, err := privacy.Columns(ctx, d, name)
				if err != nil {
					t.Fatal(err)
				}
				if !hasColumn(cols, o.Column) || (o.Parent != "" && !hasColumn(mustColumns(t, d, o.Parent), o.ParentKey)) {
					t.Errorf("%s: owner path %s names a column that does not exist", tb.Name, tb.Owner)
				}
			}
		}
	})
}

func hasColumn(cols []privacy.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func mustColumns(t *testing.T, d *db.DB, table string) []privacy.Column {
	t.Helper()
	cols, err := privacy.Columns(context.Background(), d, table)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// TestExportFormatDocumentsEverySection: docs/export-format.md describes every section the
// export can hold.
func TestExportFormatDocumentsEverySection(t *testing.T) {
	doc, err := os.ReadFile("../../docs/export-format.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range registry(t).UserTables() {
		if !strings.Contains(string(doc), "`"+tb.Section+"`") {
			t.Errorf("docs/export-format.md does not describe section `%s` (table %s)", tb.Section, tb.Name)
		}
	}
}

// TestRegistryRefusesBadDeclarations: mistakes in a declaration are caught when the service
// is built.
func TestRegistryRefusesBadDeclarations(t *testing.T) {
	tests := []struct {
		name   string
		tables []privacy.Table
		want   string
	}{
		{"duplicate table", []privacy.Table{privacy.SystemTable("a", "x"), privacy.SystemTable("a", "y")}, "declared twice"},
		{"system without reason", []privacy.Table{privacy.SystemTable("a", " ")}, "needs a reason"},
		{"user table without section", []privacy.Table{privacy.UserTable("a", "", privacy.ByUserID())}, "needs an export section"},
		{"shared section", []privacy.Table{privacy.UserTable("a", "s", privacy.ByUserID()), privacy.UserTable("b", "s", privacy.ByUserID())}, "share export section"},
		{"child before parent", []privacy.Table{privacy.UserTable("a", "s", privacy.Via("b_id", "b", "id", privacy.ByUserID())), privacy.UserTable("b", "t", privacy.ByUserID())}, "declared after"},
		{"path through undeclared table", []privacy.Table{privacy.UserTable("a", "s", privacy.Via("b_id", "b", "id", privacy.ByUserID()))}, "not a declared user-owned table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := privacy.NewRegistry(tt.tables)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
