package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/pulse-bot/pulse/bot"
)

// decodeExport reads one JSON export document of any version `pulse
// export` has written (see bot.ExportVersion), strictly: a field the
// schema (docs/export.schema.json) does not name is refused rather than
// dropped, so a hand-edited backup with a typo never loses data silently.
func decodeExport(r io.Reader) (bot.Export, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return bot.Export{}, fmt.Errorf("read: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return bot.Export{}, fmt.Errorf("not a `pulse export --format json` document: %w", err)
	}
	if doc == nil { // the document is JSON null
		return bot.Export{}, fmt.Errorf("not a `pulse export --format json` document: it is null, not an object")
	}
	version := 1 // exports made before the field existed
	if v, ok := doc["version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return bot.Export{}, fmt.Errorf("not a `pulse export --format json` document: \"version\" is %s, not a whole number", v)
		}
	}
	switch version {
	case 1:
		if raw, err = upgradeV1(doc); err != nil {
			return bot.Export{}, err
		}
	case bot.ExportVersion:
	default:
		return bot.Export{}, fmt.Errorf("export format version %d: this pulse reads versions 1 to %d; import it with the pulse that made it, or a newer one", version, bot.ExportVersion)
	}
	var data bot.Export
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil {
		return bot.Export{}, fmt.Errorf("not a `pulse export --format json` document of version %d (docs/export.schema.json): %w", version, err)
	}
	data.Version = bot.ExportVersion
	return data, nil
}

// v1Sections are the parts of a version 1 export written with Go's field
// names; its reviews and participation were snake_case already, and its
// figures are left out (an import never reads them).
var v1Sections = []string{"teams", "people", "goals", "updates", "kudos", "checkins"}

// upgradeV1 renames a version 1 export's fields to version 2's names.
func upgradeV1(doc map[string]json.RawMessage) ([]byte, error) {
	for _, section := range v1Sections {
		v, ok := doc[section]
		if !ok {
			continue
		}
		var tree any
		if err := json.Unmarshal(v, &tree); err != nil {
			return nil, fmt.Errorf("not a `pulse export --format json` document: %s: %w", section, err)
		}
		renamed, err := json.Marshal(renameKeys(tree))
		if err != nil {
			return nil, fmt.Errorf("upgrade %s: %w", section, err)
		}
		doc[section] = renamed
	}
	delete(doc, "figures")
	doc["version"] = json.RawMessage(fmt.Sprint(bot.ExportVersion))
	return json.Marshal(doc)
}

// renameKeys renames every object key below v with exportName. The v1
// sections hold no maps keyed by data, so every key is a field name.
func renameKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[exportName(k)] = renameKeys(val)
		}
		return out
	case []any:
		for i := range t {
			t[i] = renameKeys(t[i])
		}
	}
	return v
}

// exportName is version 2's name of a Go field: snake_case, and a
// reference to another record named after that record ("TeamID" → "team",
// as the review records always named it). The json tags of the exported
// types follow it (TestExportTagsFollowExportName), so a version 1
// document upgrades by renaming alone.
func exportName(field string) string {
	switch field {
	case "TeamID", "GoalID":
		return strings.ToLower(strings.TrimSuffix(field, "ID"))
	}
	rs := []rune(field)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 &&
			(unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
