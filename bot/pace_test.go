package bot

import "testing"

// Goal values print the way people type them, including combined units the
// parser reads ("$12k") and word units ("120 orders").
func TestFormatValueWritesUnitsAsTyped(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{{2.6, "%", "2.6%"}, {500, "¥", "¥500"}, {12, "$k", "$12k"}, {120, "orders", "120 orders"}, {15, "k", "15k"}, {-3, "", "-3"}} {
		if got := FormatValue(tc.v, tc.unit); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}
