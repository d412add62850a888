package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite docs/export.schema.json from the export's Go types")

const schemaPath = "../../docs/export.schema.json"

// TestExportSchemaIsTheDocumentedOne: docs/export.schema.json is the JSON
// Schema of what bot.Export encodes to, derived from its types, so the
// documented schema and the strict decoder of `pulse import` cannot drift
// apart. After changing an exported type, run
// `go test ./cmd/pulse -run TestExportSchemaIsTheDocumentedOne -update-schema`
// and, when a field was renamed or removed, raise bot.ExportVersion.
func TestExportSchemaIsTheDocumentedOne(t *testing.T) {
	want := exportSchema()
	if *updateSchema {
		if err := os.WriteFile(schemaPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the schema of bot.Export; run this test with -update-schema and review the diff", schemaPath)
	}
}

// TestImportRefusesWhatTheSchemaLeavesOut: every object in the schema
// forbids other properties, and the decoder refuses them too, at any depth.
func TestImportRefusesWhatTheSchemaLeavesOut(t *testing.T) {
	for _, doc := range []string{
		`{"version":2,"extra":1}`,
		`{"version":2,"goals":[{"id":"G1","metric":{"unit":"%","scale":2}}]}`,
		`{"version":2,"reviews":[{"team":"x","review_cycles":[{"id":"C1","moods":[]}]}]}`,
	} {
		if _, err := decodeExport(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("decode %s = %v, want an unknown field refused", doc, err)
		}
	}
}

// exportSchema derives the JSON Schema (2020-12) of bot.Export.
func exportSchema() []byte {
	defs := map[string]any{}
	root := objectSchema(reflect.TypeOf(bot.Export{}), defs)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/pulse-bot/pulse/blob/main/docs/export.schema.json"
	root["title"] = "Pulse JSON export"
	root["description"] = "What `pulse export --format json` writes and `pulse import` reads (format version 2). " +
		"Version 1 exports (no \"version\" field, Go field names such as \"TeamID\") are still imported. " +
		"Times are RFC 3339; user ids are platform-qualified (slack:T0123:U0456). Generated from the Go types by TestExportSchemaIsTheDocumentedOne."
	root["required"] = []string{"version"}
	root["properties"].(map[string]any)["version"] = map[string]any{"const": bot.ExportVersion}
	root["$defs"] = defs
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(out, '\n')
}

var timeType = reflect.TypeOf(time.Time{})

func typeSchema(t reflect.Type, defs map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := typeSchema(t.Elem(), defs)
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	case t.Kind() == reflect.Struct:
		if _, ok := defs[t.Name()]; !ok {
			defs[t.Name()] = nil // a placeholder against recursion
			defs[t.Name()] = objectSchema(t, defs)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": []string{"array", "null"}, "items": typeSchema(t.Elem(), defs)}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": []string{"object", "null"}, "additionalProperties": typeSchema(t.Elem(), defs)}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	panic("export schema: no JSON type for " + t.String())
}

func objectSchema(t reflect.Type, defs map[string]any) map[string]any {
	props := map[string]any{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = typeSchema(f.Type, defs)
		}
	}
	walk(t)
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}
