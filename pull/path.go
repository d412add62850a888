package pull

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed JSON path to a number: dot-separated object keys and
// [n] array indexes, such as "data.conversion.rate" or "series[0].value".
// A leading "$." is allowed, as JSONPath writes it.
type Path []step

type step struct {
	key   string
	index int
	isIdx bool
}

// maxPathSteps bounds a path, so a path can never walk without end.
const maxPathSteps = 32

// ParsePath reads a path; the error says what to write instead.
func ParsePath(s string) (Path, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if s == "" {
		return nil, fmt.Errorf("path is empty; write the keys to the number, such as data.conversion.rate")
	}
	var p Path
	for _, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && rest == "" {
			return nil, fmt.Errorf("path %q has an empty key; write keys joined by dots, such as data.rate", s)
		}
		if key != "" {
			p = append(p, step{key: key})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil || n < 0 || (after != "" && !strings.HasPrefix(after, "[")) {
				return nil, fmt.Errorf("path %q: write array indexes as [0], [1] …", s)
			}
			p = append(p, step{index: n, isIdx: true})
			rest = strings.TrimPrefix(after, "[")
		}
		if len(p) > maxPathSteps {
			return nil, fmt.Errorf("path %q is longer than %d steps", s, maxPathSteps)
		}
	}
	return p, nil
}

// Number walks doc along the path and returns the number it ends at. A
// string holding a number counts (Prometheus and many APIs quote them).
func (p Path) Number(doc any) (float64, error) {
	cur := doc
	for i, st := range p {
		switch {
		case st.isIdx:
			arr, ok := cur.([]any)
			if !ok || st.index >= len(arr) {
				return 0, fmt.Errorf("no element [%d] at step %d of the path", st.index, i+1)
			}
			cur = arr[st.index]
		default:
			obj, ok := cur.(map[string]any)
			if !ok {
				return 0, fmt.Errorf("no object with key %q at step %d of the path", st.key, i+1)
			}
			if cur, ok = obj[st.key]; !ok {
				return 0, fmt.Errorf("no key %q at step %d of the path", st.key, i+1)
			}
		}
	}
	return toNumber(cur)
}

func toNumber(v any) (float64, error) {
	switch n := v.(type) {
	case json.Number:
		return checkFinite(n.Float64())
	case float64:
		return n, nil
	case string:
		return checkFinite(strconv.ParseFloat(strings.TrimSpace(n), 64))
	}
	return 0, fmt.Errorf("the path ends at %T, not a number", v)
}

func checkFinite(f float64, err error) (float64, error) {
	if err != nil {
		return 0, fmt.Errorf("the path ends at text that is not a number")
	}
	if f != f || f > 1e300 || f < -1e300 {
		return 0, fmt.Errorf("the path ends at %v, not a finite number", f)
	}
	return f, nil
}
