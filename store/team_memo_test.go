package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// TestCloneTeamSharesNoSliceOrMapWithTheOriginal fails when bot.Team
// gains a slice or map field that cloneTeam does not copy: a caller
// changing a team it read would then change the one decodeTeamOnce keeps.
func TestCloneTeamSharesNoSliceOrMapWithTheOriginal(t *testing.T) {
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C1", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	orig := reflect.ValueOf(&team).Elem()
	for i := range orig.NumField() {
		f := orig.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
		}
	}
	clone := reflect.ValueOf(cloneTeam(team))
	for i := range orig.NumField() {
		f, c := orig.Field(i), clone.Field(i)
		if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Pointer() == c.Pointer() {
			t.Errorf("cloneTeam shares %s with the original", orig.Type().Field(i).Name)
		}
	}
}

func TestDecodeTeamOnceDecodesAChangedRecordAfreshAndHandsOutCopies(t *testing.T) {
	s := &Store{}
	first, err := s.decodeTeamOnce("growth", `{"n":"Growth","mem":["slack:T1:U1"]}`)
	if err != nil {
		t.Fatal(err)
	}
	first.Members[0] = "slack:T1:changed-by-a-caller"
	again, err := s.decodeTeamOnce("growth", `{"n":"Growth","mem":["slack:T1:U1"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if again.Members[0] != "slack:T1:U1" {
		t.Errorf("a caller's change reached the remembered team: %v", again.Members)
	}
	changed, err := s.decodeTeamOnce("growth", `{"n":"Growth","mem":["slack:T1:U2"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed.Members) != 1 || changed.Members[0] != "slack:T1:U2" {
		t.Errorf("a changed record gave %v, want its own members", changed.Members)
	}
}
