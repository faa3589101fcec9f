// Package stats holds the pure computations of the dashboards (issue 5):
// rates with null for no data, changes against a previous period, week-over-
// week trends, repeat detection keys and the people a praise names. No I/O.
package stats

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rate is num/den, or nil when den is 0 (workflow.md: never 0 or 100% for
// no data).
func Rate(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

// Change is cur − prev (in rate units: 0.05 is five percentage points), or
// nil when either side has no data.
func Change(cur, prev *float64) *float64 {
	if cur == nil || prev == nil {
		return nil
	}
	d := *cur - *prev
	return &d
}

// Trend is one key's counts in the last two weeks.
type Trend struct {
	Key      string   `json:"key"`
	Name     string   `json:"name,omitempty"`
	Weeks    []int    `json:"weeks"`    // oldest first
	Last     int      `json:"last"`     // the last week
	Previous int      `json:"previous"` // the week before
	Change   int      `json:"change"`   // Last − Previous
	Ratio    *float64 `json:"ratio"`    // Last/Previous − 1; null when Previous is 0
	Rising   bool     `json:"rising"`
}

// Trends turns per-week counts (key → counts, oldest week first, all of the
// same length ≥ 2) into trends, sorted by the size of the change (rising
// first, then falling), dropping keys with nothing in either of the last two
// weeks.
func Trends(weekly map[string][]int) []Trend {
	var out []Trend
	for k, w := range weekly {
		if len(w) < 2 {
			continue
		}
		last, prev := w[len(w)-1], w[len(w)-2]
		if last == 0 && prev == 0 {
			continue
		}
		t := Trend{Key: k, Weeks: w, Last: last, Previous: prev, Change: last - prev, Rising: last > prev}
		if prev > 0 {
			r := float64(last)/float64(prev) - 1
			t.Ratio = &r
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Trend) int {
		if a.Change != b.Change {
			return b.Change - a.Change
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Hasher turns phone numbers into stable, non-reversible keys (HMAC-SHA-256
// with a server secret, 16 hex digits): repeat callers are grouped without
// any phone number leaving the server. Phone numbers have little entropy, so
// a plain hash could be reversed by trying them all; the key prevents that.
type Hasher struct{ key []byte }

// NewHasher makes a hasher with a secret key.
func NewHasher(key []byte) *Hasher { return &Hasher{key: slices.Clone(key)} }

// Phone returns the key of a phone number ("" for none). Spaces, dashes and
// a +86 prefix are ignored.
func (h *Hasher) Phone(phone string) string {
	p := NormalizePhone(phone)
	if p == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(p))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// NormalizePhone keeps the digits of a phone number, without a leading 86
// country code on a mobile number.
func NormalizePhone(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	p := b.String()
	if len(p) == 13 && strings.HasPrefix(p, "861") {
		p = p[2:]
	}
	return p
}

// PlaceKey is where an order is, for repeat places: its compound when it has
// one, else its address without spaces and punctuation ("" for none).
func PlaceKey(compound, address string) string {
	if compound != "" {
		return "compound:" + compound
	}
	var b strings.Builder
	for _, r := range address {
		if r == ' ' || r == '　' || r == ',' || r == '，' || r == '。' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return ""
	}
	return "address:" + b.String()
}

// titles a citizen praises a person by.
var praisedTitle = regexp.MustCompile(`书记|主任|社工|师傅|老师|阿姨|警官|同志|组长|医生|干部`)

// surnames are the common Chinese surnames. The character before a title
// names a person only when it is one: "会书记" (cut out of "居委会书记"),
// "该书记", "老书记" and "感谢书记" name no one. A rare surname is missed
// rather than a wrong person named.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤殷葛柳齐芦樊施洪庞尤"

// orgSuffixes end the name of a unit whose officer a praise may name by
// title alone ("宾阳路居委会书记").
var orgSuffixes = []string{"居委会", "居民区", "物业", "派出所", "街道", "城管", "中心", "办", "所", "站", "队"}

// leadWords come before the unit in a praise, not inside its name.
var leadWords = []string{"感谢", "谢谢", "表扬", "称赞", "点赞", "我们", "给", "向", "对", "和", "及", "的", "是", "让", "被", "请"}

// PraisedPeople returns the people a praise names, in order of first
// mention, each once: a surname and a title (王书记, 李师傅), or, when no
// surname is given, the unit and the title (宾阳路居委会书记).
func PraisedPeople(text string) []string {
	var out []string
	add := func(p string) {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, loc := range praisedTitle.FindAllStringIndex(text, -1) {
		title := text[loc[0]:loc[1]]
		before := []rune(text[:loc[0]])
		n := len(before)
		if n == 0 {
			continue
		}
		last := before[n-1]
		verb := n >= 2 && (before[n-2] == '感' || before[n-2] == '谢' || before[n-2] == '多') && last == '谢'
		if strings.ContainsRune(surnames, last) && !verb {
			add(string(last) + title)
			continue
		}
		// The run of Chinese characters before the title, after the last
		// word that introduces it, may be a unit's name.
		i := n
		for i > 0 && n-i < 12 && unicode.Is(unicode.Han, before[i-1]) {
			i--
		}
		run := string(before[i:])
		for _, w := range leadWords {
			if j := strings.LastIndex(run, w); j >= 0 {
				run = run[j+len(w):]
			}
		}
		for _, suf := range orgSuffixes {
			if strings.HasSuffix(run, suf) && utf8.RuneCountInString(run) >= 3 {
				add(run + title)
				break
			}
		}
	}
	return out
}
