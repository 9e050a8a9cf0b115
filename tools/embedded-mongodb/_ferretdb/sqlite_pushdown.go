// This file is added to FerretDB's SQLite backend (package sqlite) at build time by
// scripts/lib/ferretdb-overlay.ts; it is not part of the embedded-mongodb command itself
// (Go skips directories whose name starts with an underscore).

package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/types"
)

// maxInValues bounds the values of an `$in` turned into SQL parameters.
const maxInValues = 1000

// indexedCondition picks, from a query filter, one top-level condition that an index of the
// collection can answer, and returns it as SQL with its arguments. FerretDB filters every
// document the query returns again, so the condition only has to keep every document that
// matches:
//   - the field is `_id` or the first field of a unique index, with no dot: MongoDB's equality
//     also matches an array's elements, which this condition would miss, and a unique index on
//     an array field is rare enough that the project's models have none
//     (test/unit/indexed-fields.test.ts checks it); a plain index may well be on one (tags);
//   - the condition is an equality or an `$in` of strings, ObjectIds or integers, whose JSON
//     text is the same however it is written: strings only when JSON needs no escape in them.
//
// The condition's expression is the one the index is built on (registry.go's indexesCreate),
// so SQLite looks the values up in the index instead of reading the table.
func indexedCondition(meta *metadata.Collection, filter *types.Document) (string, []any, bool) {
	if filter == nil {
		return "", nil, false
	}

	for _, key := range orderedKeys(filter) {
		if key == "" || strings.ContainsAny(key, ".$\"\\") || !hasUniqueIndexOn(meta, key) {
			continue
		}

		v, err := filter.Get(key)
		if err != nil {
			continue
		}

		column := fmt.Sprintf("%s->%q", metadata.DefaultColumn, key)

		if text, ok := plainJSON(v); ok {
			return column + " = ?", []any{text}, true
		}

		if values, ok := inValues(v); ok {
			return column + " IN (?" + strings.Repeat(", ?", len(values)-1) + ")", values, true
		}
	}

	return "", nil, false
}

// orderedKeys puts `_id` first: its index is unique, so it narrows the most.
func orderedKeys(filter *types.Document) []string {
	keys := filter.Keys()
	for i, key := range keys {
		if key == "_id" && i > 0 {
			return append([]string{"_id"}, append(keys[:i:i], keys[i+1:]...)...)
		}
	}

	return keys
}

func hasUniqueIndexOn(meta *metadata.Collection, field string) bool {
	if field == "_id" {
		return true
	}

	for _, index := range meta.Settings.Indexes {
		if index.Unique && len(index.Key) > 0 && index.Key[0].Field == field {
			return true
		}
	}

	return false
}

// inValues are the JSON texts of `{$in: [...]}`, when every value has one spelling only.
func inValues(v any) ([]any, bool) {
	doc, ok := v.(*types.Document)
	if !ok || doc.Len() != 1 {
		return nil, false
	}

	list, err := doc.Get("$in")
	if err != nil {
		return nil, false
	}

	array, ok := list.(*types.Array)
	if !ok || array.Len() == 0 || array.Len() > maxInValues {
		return nil, false
	}

	values := make([]any, array.Len())

	for i := range array.Len() {
		element, err := array.Get(i)
		if err != nil {
			return nil, false
		}

		text, ok := plainJSON(element)
		if !ok {
			return nil, false
		}

		values[i] = text
	}

	return values, true
}

// plainJSON is the JSON text FerretDB stores for the value, when it has one spelling only.
func plainJSON(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		b, err := json.Marshal(v)
		if err != nil || string(b) != `"`+v+`"` {
			return "", false
		}

		return string(b), true
	case types.ObjectID:
		return fmt.Sprintf(`"%x"`, v[:]), true
	case int32:
		return fmt.Sprint(v), true
	case int64:
		return fmt.Sprint(v), true
	default:
		return "", false
	}
}
