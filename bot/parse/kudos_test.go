package parse

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseKudos(t *testing.T) {
	a, b := "slack:T1:UA", "slack:T1:UB"
	ma, mb := Mention(a), Mention(b)
	tests := []struct {
		in   string
		want KudosSpec
		key  string
	}{
		{in: ma + " thanks for the launch #Ownership", want: KudosSpec{To: []string{a}, Message: "thanks for the launch #Ownership", Tags: []string{"ownership"}}},
		{in: ma + " " + mb + " great job #ownership #speed", want: KudosSpec{To: []string{a, b}, Message: "great job #ownership #speed", Tags: []string{"ownership", "speed"}}},
		{in: ma + mb + "great job", want: KudosSpec{To: []string{a, b}, Message: "great job"}},
		{in: ma + " and " + mb + ": great job", want: KudosSpec{To: []string{a, b}, Message: "great job"}},
		{in: ma + "、" + mb + " 辛苦了 #团队合作", want: KudosSpec{To: []string{a, b}, Message: "辛苦了 #团队合作", Tags: []string{"团队合作"}}},
		{in: ma + " " + ma + " twice", want: KudosSpec{To: []string{a}, Message: "twice"}},
		{in: "to " + ma + " for the demo", want: KudosSpec{To: []string{a}, Message: "for the demo"}},
		{in: "给 " + ma + " 感谢支持 ＃担当 ＃担当", want: KudosSpec{To: []string{a}, Message: "感谢支持 ＃担当 ＃担当", Tags: []string{"担当"}}},
		{in: ma + " thanks " + mb + " too", want: KudosSpec{To: []string{a}, Message: "thanks " + mb + " too"}},
		{in: ma + " and that's it", want: KudosSpec{To: []string{a}, Message: "and that's it"}},
		{in: ma + " 🎉🎉🎉", want: KudosSpec{To: []string{a}, Message: "🎉🎉🎉"}},
		{in: ma + " fixed issue#12 in <#C123> #1 #-x #customer-first!", want: KudosSpec{To: []string{a}, Message: "fixed issue#12 in <#C123> #1 #-x #customer-first!", Tags: []string{"customer-first"}}},
		{in: ma + " #Ｓｐｅｅｄ", want: KudosSpec{To: []string{a}, Message: "#Ｓｐｅｅｄ", Tags: []string{"speed"}}},
		{in: "", key: keyKudosRecipientMiss},
		{in: "thanks everyone", key: keyKudosRecipientMiss},
		{in: "@alice thanks", key: keyMentionUnknown},
		{in: ma + " @bob thanks", key: keyMentionUnknown},
		{in: "<@nobody> thanks", key: keyMentionUnknown},
		{in: ma, key: keyKudosMessageMissing},
		{in: ma + " ,  ", key: keyKudosMessageMissing},
		{in: ma + " " + strings.Repeat("好", MaxParseText), key: keyTextTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKudos(tt.in)
			wantKey(t, err, tt.key)
			if tt.key == "" && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseKudos(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMentionUnknownNamesThePerson(t *testing.T) {
	_, err := ParseKudos("@alice, thanks")
	pe := checkParseError(t, err)
	if pe.Data["Name"] != "alice" {
		t.Errorf("Name = %v, want alice", pe.Data["Name"])
	}
}

func TestLooksLikeKudos(t *testing.T) {
	m := Mention("feishu:tk:ou_1")
	yes := []string{
		"kudos " + m + " thanks",
		"Kudos " + m,
		"KUDOS: " + m + " thanks",
		"/kudos " + m + " thanks",
		"kudos to " + m + " for the fix",
		"点赞 " + m + " 辛苦了",
		"点赞" + m + "辛苦了",
		"点赞 给 " + m + " 辛苦了",
	}
	no := []string{
		"",
		"kudos",
		"kudos everyone!",
		"kudos @bob",
		"thanks " + m + " kudos",
		"kudosy " + m,
		"点赞",
		"给" + m + "点赞",
		"kudos <@bad>",
	}
	for _, s := range yes {
		if !LooksLikeKudos(s) {
			t.Errorf("LooksLikeKudos(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if LooksLikeKudos(s) {
			t.Errorf("LooksLikeKudos(%q) = true, want false", s)
		}
	}
}
