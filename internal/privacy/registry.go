package privacy

import (
	"fmt"
	"strings"

	"myally.app/ally/internal/db"
)

// Table declares one table of the schema: either user-owned (with the way a row reaches its
// owner and the export section that holds its rows) or system (with the reason it holds no
// user data of its own). Every table of the migrated schema must be declared in Tables; a
// test fails on any that is not.
type Table struct {
	// Name is the table's name.
	Name string
	// Owner is how a row reaches its owner; nil for a system table.
	Owner *Owner
	// Section names the export section that holds the rows (user-owned tables).
	Section string
	// Single marks a section that is one object rather than a list (the profile).
	Single bool
	// Omit lists columns never exported: secrets such as password and token hashes.
	Omit []string
	// Booleans lists 0/1 columns exported as booleans (SQLite declares some flags INTEGER).
	Booleans []string
	// Order is the export's ORDER BY (default: the first column).
	Order string
	// Reason says, for a system table, why it holds no user data of its own.
	Reason string
	// Mentions, for a system table whose free-form column can name a user (job
	// arguments), is a per-dialect SQL predicate with $1 the user id: the purge deletes
	// the rows it matches.
	Mentions map[db.Dialect]string
}

// UserOwned reports whether the table holds user data reached through Owner.
func (t Table) UserOwned() bool { return t.Owner != nil }

// Owner is the path from a row to its owner's users.id: a column holding the user id
// directly, the table's own id (users), or a column referring to a row of another table
// that in turn reaches the owner.
type Owner struct {
	// Column of this table on the path.
	Column string
	// Parent and ParentKey, when set, mean Column refers to Parent.ParentKey, and Next
	// continues from Parent.
	Parent    string
	ParentKey string
	Next      *Owner
}

// ByUserID is the owner path of a table with a user_id column.
func ByUserID() *Owner { return &Owner{Column: "user_id"} }

// ByColumn is the owner path of a table whose column col holds the user id.
func ByColumn(col string) *Owner { return &Owner{Column: col} }

// Self is the owner path of the users table: its id is the owner.
func Self() *Owner { return &Owner{Column: "id"} }

// Via is the owner path through a reference: col refers to parent.key, and parent reaches
// the owner by next (e.g. Via("conversation_id", "conversations", "id", ByUserID())).
func Via(col, parent, key string, next *Owner) *Owner {
	return &Owner{Column: col, Parent: parent, ParentKey: key, Next: next}
}

// Where returns the SQL predicate selecting the rows owned by the user given as $1.
func (o *Owner) Where() string {
	if o.Parent == "" {
		return o.Column + " = $1"
	}
	return fmt.Sprintf("%s IN (SELECT %s FROM %s WHERE %s)", o.Column, o.ParentKey, o.Parent, o.Next.Where())
}

// String describes the path for people, e.g. "conversation_id → conversations.user_id".
func (o *Owner) String() string {
	if o.Parent == "" {
		return o.Column
	}
	next := o.Next.String()
	return o.Column + " → " + o.Parent + "." + next
}

// UserTable declares a user-owned table exported in section.
func UserTable(name, section string, owner *Owner, opts ...Option) Table {
	t := Table{Name: name, Owner: owner, Section: section}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// SystemTable declares a table that holds no user data of its own.
func SystemTable(name, reason string, opts ...Option) Table {
	t := Table{Name: name, Reason: reason}
	for _, o := range opts {
		o(&t)
	}
	return t
}

// Option adjusts a declaration.
type Option func(*Table)

// Omit keeps columns out of the export (secrets).
func Omit(cols ...string) Option { return func(t *Table) { t.Omit = append(t.Omit, cols...) } }

// Booleans exports 0/1 columns as true/false on every database.
func Booleans(cols ...string) Option {
	return func(t *Table) { t.Booleans = append(t.Booleans, cols...) }
}

// OrderBy sets the export order.
func OrderBy(expr string) Option { return func(t *Table) { t.Order = expr } }

// Single exports the table's one row as an object.
func Single() Option { return func(t *Table) { t.Single = true } }

// Mentions declares, per dialect, the predicate matching rows that name the user ($1).
func Mentions(byDialect map[db.Dialect]string) Option {
	return func(t *Table) { t.Mentions = byDialect }
}

// Registry is a checked set of declarations.
type Registry struct {
	tables []Table
	byName map[string]Table
}

// NewRegistry checks the declarations: names and sections unique, every user-owned table
// with a section, every system table with a reason, every reference to a declared
// user-owned table.
func NewRegistry(tables []Table) (*Registry, error) {
	r := &Registry{tables: tables, byName: map[string]Table{}}
	sections := map[string]string{}
	for _, t := range tables {
		if _, dup := r.byName[t.Name]; dup {
			return nil, fmt.Errorf("privacy: table %s declared twice", t.Name)
		}
		r.byName[t.Name] = t
		if !t.UserOwned() {
			if strings.TrimSpace(t.Reason) == "" {
				return nil, fmt.Errorf("privacy: system table %s needs a reason", t.Name)
			}
			continue
		}
		if t.Section == "" {
			return nil, fmt.Errorf("privacy: user-owned table %s needs an export section", t.Name)
		}
		if other, dup := sections[t.Section]; dup {
			return nil, fmt.Errorf("privacy: tables %s and %s share export section %s", other, t.Name, t.Section)
		}
		sections[t.Section] = t.Name
	}
	// The purge deletes in reverse order, so a table reached through another must come
	// after it: its rows go while the rows that lead to their owner still exist.
	seen := map[string]bool{}
	for _, t := range tables {
		for o := t.Owner; o != nil && o.Parent != ""; o = o.Next {
			p, ok := r.byName[o.Parent]
			if !ok || !p.UserOwned() {
				return nil, fmt.Errorf("privacy: %s reaches its owner through %s, which is not a declared user-owned table", t.Name, o.Parent)
			}
			if !seen[o.Parent] {
				return nil, fmt.Errorf("privacy: %s reaches its owner through %s, so it must be declared after it", t.Name, o.Parent)
			}
		}
		seen[t.Name] = true
	}
	return r, nil
}

// Tables returns the declarations in order: parents before the tables that refer to them.
func (r *Registry) Tables() []Table { return r.tables }

// Table returns the declaration of name.
func (r *Registry) Table(name string) (Table, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// UserTables returns the user-owned declarations in order.
func (r *Registry) UserTables() []Table {
	var out []Table
	for _, t := range r.tables {
		if t.UserOwned() {
			out = append(out, t)
		}
	}
	return out
}
