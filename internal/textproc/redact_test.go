package textproc

import (
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"我的手机13812345678请回电", "我的手机[PHONE]请回电"},
		{"电话：138-1234-5678。", "电话：[PHONE]。"},
		{"call +86 138 1234 5678 now", "call [PHONE] now"},
		{"座机0731-84512345", "座机[PHONE]"},
		{"(010)12345678", "[PHONE]"},
		{"社保站电话0730\u00a08951096", "社保站电话[PHONE]"},
		{"联系电话84512345", "联系电话[PHONE]"},
		{"身份证430102199001011234，", "身份证[IDCARD]，"},
		{"身份证号43010219900101123X", "身份证号[IDCARD]"},
		{"邮箱 someone.name+x@example.com.", "邮箱 [EMAIL]."},
		{"卡号6222020200112233445", "卡号6222020200112233445"}, // fails Luhn: left alone
		{"卡号4111111111111111", "卡号[BANKCARD]"},
		{"全角１３８１２３４５６７８", "全角[PHONE]"},
		// Not personal data: must survive.
		{"拨打12345热线", "拨打12345热线"},
		{"2019-04-25 09:32:09 反映", "2019-04-25 09:32:09 反映"},
		{"工单2026112900042已办结", "工单2026112900042已办结"},
		{"29号楼3单元502室", "29号楼3单元502室"},
		{"金额84512345元", "金额84512345元"},
		{"a@b", "a@b"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRedactRealMessages runs Redact over real messages: the gas complaints
// contain real mobile numbers, and the Teddy messages get synthetic ones
// inserted at arbitrary places. No mobile number may survive (found with an
// independent plain scan), and almost all text must come back unchanged (a
// few Teddy messages quote an office's landline, which is masked too).
func TestRedactRealMessages(t *testing.T) {
	leaks, changed := 0, 0
	for _, r := range readCSV(t, "peoples_daily_gas/complaints_train.csv") {
		if findMobile(Redact(r["replyContentMain"]+" "+r["handleContent"])) != "" {
			leaks++
		}
	}
	for i, r := range readCSV(t, "teddy2020c/messages_labeled_train.csv") {
		body := r["留言详情"]
		if Redact(body) != body {
			changed++
		}
		rs := []rune(body)
		at := (i * 7919) % (len(rs) + 1)
		phone := fmt.Sprintf("1%d%09d", 3+i%7, i*104729%1000000000)
		withPhone := string(rs[:at]) + phone + "，" + string(rs[at:])
		if findMobile(Redact(withPhone)) != "" {
			leaks++
		}
	}
	if leaks > 0 {
		t.Errorf("%d texts still contain a mobile number after Redact", leaks)
	}
	t.Logf("Redact changed %d original Teddy messages", changed)
	if changed > 5 {
		t.Errorf("Redact changed %d original messages; expected only the few quoting a landline", changed)
	}
}

// findMobile returns the first run of exactly 11 digits starting 1[3-9].
func findMobile(s string) string {
	run := strings.Builder{}
	flush := func() string {
		d := run.String()
		run.Reset()
		if len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
			return d
		}
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run.WriteByte(s[i])
			continue
		}
		if m := flush(); m != "" {
			return m
		}
	}
	return flush()
}

func BenchmarkRedact(b *testing.B) {
	texts := benchTexts(b)
	n := 0
	for _, s := range texts {
		n += len(s)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		for _, s := range texts {
			Redact(s)
		}
	}
}
