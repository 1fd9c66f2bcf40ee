package pipeline

import (
	"sync/atomic"
)

// HostEntry is what a Host header resolves to: a stage, and for custom domains an optional base path that requests
// must start with (and that is stripped before routing).
type HostEntry struct {
	Stage    *Stage
	BasePath string
}

// Table is the immutable routing table of the whole gateway: lower-case host names (without port) to stages. A
// deploy builds a new Table and swaps it in; requests in flight keep the one they started with.
type Table struct {
	hosts  map[string]HostEntry
	stages []*Stage
}

// NewTable builds a table from hosts. The map is owned by the table afterwards.
func NewTable(hosts map[string]HostEntry) *Table {
	t := &Table{hosts: hosts}
	seen := make(map[*Stage]bool)
	for _, e := range hosts {
		if !seen[e.Stage] {
			seen[e.Stage] = true
			t.stages = append(t.stages, e.Stage)
		}
	}
	return t
}

// Lookup resolves a lower-case host name without port. The string conversion in the map index does not allocate.
func (t *Table) Lookup(host []byte) (HostEntry, bool) {
	e, ok := t.hosts[string(host)]
	return e, ok
}

// Len is the number of host names served.
func (t *Table) Len() int { return len(t.hosts) }

// Stages lists the distinct stages served.
func (t *Table) Stages() []*Stage { return t.stages }

// Gateway holds the live Table. Load is one atomic read: the hot path takes no lock.
type Gateway struct {
	table atomic.Pointer[Table]
}

// Load returns the live table, or nil before the first deployment set is loaded.
func (g *Gateway) Load() *Table { return g.table.Load() }

// Swap installs t and returns the previous table (nil at first).
func (g *Gateway) Swap(t *Table) *Table { return g.table.Swap(t) }
