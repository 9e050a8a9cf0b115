// This file is added to FerretDB's SQLite backend (package sqlite) at build time by
// scripts/lib/ferretdb-patch.ts; it is not part of the embedded-mongodb command itself
// (Go skips directories whose name starts with an underscore).

package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/types"
)

// maxInValues bounds the values of an `$in` turned into SQL parameters.
const maxInValues = 1000

// indexedCondition picks, from a query filter, one top-level condition that an index of the
// collection can answer, and returns it as SQL with its arguments. FerretDB filters every
// document the query returns again, so the condition only has to keep every document that
// matches:
//   - the field is `_id` or the first field of an index, with no dot;
//   - the condition is an equality or an `$in` of strings, ObjectIds, integers or dates, whose JSON
//     text is the same however it is written: strings only when JSON needs no escape in them;
//   - MongoDB's equality also matches an array holding the value, so for any field but `_id`
//     the condition also keeps every document whose field is an array (JSON text from `[` up to
//     the next character, `\`): a second range of the same index, empty where no array is stored.
//
// The expression is the one the index is built on (registry.go's indexesCreate), so SQLite
// looks the values up in the index instead of reading the table.
func indexedCondition(meta *metadata.Collection, filter *types.Document) (string, []any, bool) {
	if filter == nil {
		return "", nil, false
	}

	for _, key := range indexedKeys(meta, filter) {
		v, err := filter.Get(key)
		if err != nil {
			continue
		}

		column := fmt.Sprintf("%s->%q", metadata.DefaultColumn, key)

		var condition string
		var args []any

		if text, ok := plainJSON(v); ok {
			condition, args = column+" = ?", []any{text}
		} else if values, ok := inValues(v); ok {
			condition, args = column+" IN (?"+strings.Repeat(", ?", len(values)-1)+")", values
		} else {
			continue
		}

		if key != "_id" {
			condition = fmt.Sprintf("(%s OR (%s >= '[' AND %s < '\\'))", condition, column, column)
		}

		return condition, args, true
	}

	return "", nil, false
}

// indexedKeys are the filter's fields that lead an index, `_id` first (unique and never an
// array), then those of unique indexes, then the rest: the first usable one narrows the most.
func indexedKeys(meta *metadata.Collection, filter *types.Document) []string {
	var ranked [3][]string

	for _, key := range filter.Keys() {
		if key == "" || strings.ContainsAny(key, ".$\"\\") {
			continue
		}

		if key == "_id" {
			ranked[0] = append(ranked[0], key)
			continue
		}

		rank := 0

		for _, index := range meta.Settings.Indexes {
			if len(index.Key) > 0 && index.Key[0].Field == key {
				if index.Unique {
					rank = 1
					break
				}

				rank = 2
			}
		}

		if rank > 0 {
			ranked[rank] = append(ranked[rank], key)
		}
	}

	return append(append(ranked[0], ranked[1]...), ranked[2]...)
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
	case time.Time:
		// Stored as its milliseconds since the epoch (sjson's dateTimeType), as BSON keeps them.
		return fmt.Sprint(v.UnixMilli()), true
	default:
		return "", false
	}
}
