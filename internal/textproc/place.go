package textproc

import (
	"hash/fnv"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Places for hotspots. A hotspot is one problem at one place (or of one
// organisation), so the clusterer needs the place a message is about, not
// only its words: gse cuts the names of compounds, schools and companies
// it does not know into pieces (伊 景园 滨河 苑, 东 六路), and those pieces
// are too rare and too varied to make two messages alike. The recogniser
// below finds a name by its ending (小区, 苑, 村, 路, 学校, 公司, 市场 …)
// and extends it to the left over the pieces before it, up to a word that
// cannot be part of a name (an administrative unit, a verb of complaint, a
// function word, a modifier such as 周边). A gazetteer (the center's own
// compounds, places seen in past orders) is matched on the text itself, so
// a known name is found however it is cut.

// placeKind orders places by how precisely they locate a problem: a
// compound, school or company names one case; a road is often only where
// the compound is (劳动东路魅力之城小区).
type placeKind int

const (
	placeRoad  placeKind = 1 + iota
	placeSite            // compound, village, school, company, market, station …
	placeKnown           // from the gazetteer
)

// siteEndings end the names of compounds, villages and institutions; the
// ending may be a word of its own (滨河 苑) or the end of one (茶场村).
var siteEndings = []string{
	"小区", "花园", "家园", "新村", "新城", "公寓", "大厦", "广场", "山庄", "华庭", "名苑", "雅苑",
	"苑", "府", "湾", "园", "城", "村", "社区", "居委会",
	"学校", "学院", "大学", "中学", "小学", "幼儿园", "医院", "公司", "集团", "市场", "商场",
	"车站", "南站", "北站", "东站", "西站", "工地", "驾校", "酒店", "宾馆", "超市", "厂",
}

// roadEndings end the names of roads and streets.
var roadEndings = []string{"路", "街", "巷", "大道", "公路"}

// nameBreaks are words that end a name when extending left: administrative
// units (the name of a district is not part of a compound's), verbs and
// words of complaint, function words, modifiers.
var nameBreaks = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`市 区 县 省 镇 乡 街道 办事处 社区 村委会 居委会
		投诉 反映 咨询 举报 请问 关于 建议 希望 要求 请求 请 解决 反对 坚决 位于 地处 座落 坐落 家住 住在 入住
		我们 我 我家 你们 他们 业主 居民 市民 村民 群众 领导 政府 附近 周边 周围 旁边 对面 门口 楼下 整个 所在
		该 本 此 这个 那个 这 那 各 每 多个 一些 其他 所有 部分 同一 新建 现在 目前 原 以来 入冬
		的 在 与 和 及 或 对 是 从 到 向 把 被 给 由 为 因 于 以 将 让 使 还 也 都 就 又 再 才 已 已经
		严重 长期 违规 违法 强制 强行 涉嫌 多次 一直 经常 何时 什么 怎么 为什么 如何 能否 是否 有 无 没有 不
		反馈 拿 联合 救救 留在 继续 上 去 来 拒绝 转成 建至 建 维护 提高 效率 开发商 车位 销售 捆绑 没办法 办成 办
		问题 规划 市长 区长 县长 书记 局长 主任 取消 权益 职工 员工 学生 小孩 孩子 家长 老师 开办 开设 开 搞 做
		没 被 让 叫 说 要 想 能 会 可以 应该 需要 进行 实施 建设 改造 修建 施工 导致 影响 造成 靠近 紧邻 位置`) {
		m[w] = true
	}
	return m
}()

// genericNames are endings or short words that name no particular place.
var genericNames = map[string]bool{
	"公园": true, "校园": true, "学校": true, "学院": true, "大学": true, "中学": true, "小学": true, "幼儿园": true,
	"医院": true, "公司": true, "集团": true, "市场": true, "商场": true, "车站": true, "工地": true, "驾校": true,
	"酒店": true, "宾馆": true, "超市": true, "工厂": true, "厂": true, "城": true, "城市": true, "县城": true,
	"有限公司": true, "物业公司": true, "开发公司": true, "分公司": true, "总公司": true, "子公司": true, "母公司": true,
	"开发商": true, "楼盘": true, "农贸市场": true, "菜市场": true, "省城": true, "全城": true, "进城": true, "京城": true,
	"长城": true, "新区": true, "老城": true, "古城": true, "卫生院": true, "配套幼儿园": true, "公办幼儿园": true,
	"民办幼儿园": true, "普惠性幼儿园": true, "公立幼儿园": true, "私立幼儿园": true, "人民医院": true,
}

// tradeWords name a line of business, not an organisation: 燃气公司,
// 天然气有限公司 and 物业公司 are every city's, so they cannot tell two
// cases apart.
var tradeWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`燃气 天然气 煤气 热力 供热 供暖 物业 物业管理 供水 自来水 水务 电力 供电 电网 通信 移动 联通 电信 广电
		开发 房地产 地产 置业 投资 发展 建设 建筑 工程 科技 信息 实业 贸易 商贸 服务 管理 有限 有限责任 股份 责任
		公交 客运 出租 运输 物流 快递 保险 银行 金融 教育 培训 医药 环保 环卫 保安 家政 城市 市政 国有 集团 分 总`) {
		m[w] = true
	}
	return m
}()

// genericStem reports whether the words of a name, its ending aside, are
// only trade words (燃气 有限公司, 天然气 公司).
func genericStem(words []string, end string) bool {
	for k, w := range words {
		if k == len(words)-1 {
			w = strings.TrimSuffix(w, end)
			if w == "" {
				continue
			}
		}
		if !tradeWords[w] && !tradeWords[strings.TrimSuffix(w, "有限")] {
			return false
		}
	}
	return true
}

// regions finds the administrative areas a text names, by level: a city
// (…市) and a district or county (…区, …县; the data's anonymised A3区 too).
// Two messages in different cities, or different districts, are about
// different places whatever their words.
func regions(words []string) (city, district string) {
	for i, w := range words {
		cand := ""
		switch {
		case (w == "市" || w == "区" || w == "县") && i > 0 && isAlnum(words[i-1]):
			cand = words[i-1] + w // a3 区
		case utf8.RuneCountInString(w) >= 2 && isHan(w) && !notRegion[w] &&
			(strings.HasSuffix(w, "市") || strings.HasSuffix(w, "区") || strings.HasSuffix(w, "县")):
			cand = w
		default:
			continue
		}
		if strings.HasSuffix(cand, "市") {
			if city == "" {
				city = cand
			}
		} else if district == "" {
			district = cand
		}
	}
	return city, district
}

// notRegion end in 市, 区 or 县 but name no administrative area.
var notRegion = map[string]bool{
	"城区": true, "小区": true, "社区": true, "市区": true, "辖区": true, "园区": true, "景区": true, "片区": true,
	"山区": true, "郊区": true, "新区": true, "老区": true, "城市": true, "都市": true, "超市": true, "夜市": true,
	"早市": true, "菜市": true, "股市": true, "楼市": true, "车市": true, "街区": true, "校区": true, "厂区": true,
	"该区": true, "本市": true, "我市": true, "全市": true, "该市": true, "本区": true, "我区": true, "全区": true,
	"本县": true, "我县": true, "全县": true, "该县": true, "误区": true, "盲区": true, "禁区": true, "分区": true,
	"专区": true, "营区": true, "矿区": true, "灾区": true, "港区": true, "开发区": true, "安置区": true, "生活区": true,
	"住宅区": true, "商业区": true, "工业区": true, "保护区": true, "试验区": true, "示范区": true,
}

func isAlnum(w string) bool {
	for i := 0; i < len(w); i++ {
		if !(w[i] >= 'a' && w[i] <= 'z' || w[i] >= '0' && w[i] <= '9') {
			return false
		}
	}
	return w != ""
}

// placeSpan is a place named in a segmented text: words[start:end].
type placeSpan struct {
	name       string
	start, end int
	kind       placeKind
}

// endingOf returns the place ending w finishes with and its kind: the
// first of siteEndings, then of roadEndings, that w ends with.
func endingOf(w string) (string, placeKind) {
	r, _ := utf8.DecodeLastRuneInString(w)
	for _, e := range endingsByLast[r] {
		if strings.HasSuffix(w, e.end) {
			return e.end, e.kind
		}
	}
	return "", 0
}

type placeEnding struct {
	end  string
	kind placeKind
}

// endingsByLast are the endings by their last character, in endingOf's
// order: every word of every message is tested, and most words end in a
// character no ending ends with (issue 17's profile: 4% of clustering's
// CPU went to trying all 50 endings on each word).
var endingsByLast = func() map[rune][]placeEnding {
	m := map[rune][]placeEnding{}
	for _, l := range []struct {
		ends []string
		kind placeKind
	}{{siteEndings, placeSite}, {roadEndings, placeRoad}} {
		for _, e := range l.ends {
			r, _ := utf8.DecodeLastRuneInString(e)
			m[r] = append(m[r], placeEnding{e, l.kind})
		}
	}
	return m
}()

// maxNameRunes bounds a recognised name: 西地省聚利人普惠投资有限公司 is
// cut to 聚利人普惠投资有限公司 by the province, not by the bound.
const maxNameRunes = 12

// findPlaces returns the places named in a segmented text, left to right,
// without overlaps. Adjacent sites merge (伊景园 滨河苑 → 伊景园滨河苑); a road
// before a site stays apart (劳动东路, 魅力之城小区).
func findPlaces(words []string) []placeSpan {
	var out []placeSpan
	for i := 0; i < len(words); i++ {
		w := words[i]
		end, kind := endingOf(w)
		if kind == 0 || !isHan(w) {
			continue
		}
		if n := len(out); n > 0 && w == end && kind == placeSite && out[n-1].end == i && out[n-1].kind == placeSite &&
			utf8.RuneCountInString(out[n-1].name+w) <= maxNameRunes {
			// 魅力 之城 小区: 之城 already ended a name; 小区 completes it.
			out[n-1].name += w
			out[n-1].end = i + 1
			continue
		}
		// The longest run of name words ending at i.
		start, runes := i, utf8.RuneCountInString(w)
		for j := i - 1; j >= 0 && i-j <= 5; j-- {
			p := words[j]
			if !isHan(p) || nameBreaks[p] || placeModifiers[p] || strings.HasSuffix(p, "省") ||
				(utf8.RuneCountInString(p) > 1 && (strings.HasSuffix(p, "市") || strings.HasSuffix(p, "县") || strings.HasSuffix(p, "区"))) {
				break
			}
			if e, _ := endingOf(p); e != "" && utf8.RuneCountInString(p) > 1 && !genericNames[p] {
				break // another place: 劳动东路 | 魅力之城小区
			}
			if runes+utf8.RuneCountInString(p) > maxNameRunes {
				break
			}
			start, runes = j, runes+utf8.RuneCountInString(p)
		}
		name := strings.Join(words[start:i+1], "")
		if strings.Contains(name, "政府") {
			continue
		}
		stem := strings.TrimSuffix(name, end)
		if utf8.RuneCountInString(stem) < 2 || genericNames[name] || genericPlaces[name] || nameBreaks[stem] || placeModifiers[stem] ||
			genericStem(words[start:i+1], end) {
			continue
		}
		sp := placeSpan{name: name, start: start, end: i + 1, kind: kind}
		for len(out) > 0 && out[len(out)-1].end > start {
			out = out[:len(out)-1] // 师大附中星城 | 实验学校: the longer name wins
		}
		if n := len(out); n > 0 && kind == placeSite && out[n-1].kind == placeSite && out[n-1].end == start &&
			utf8.RuneCountInString(out[n-1].name)+runes <= maxNameRunes {
			out[n-1].name += name
			out[n-1].end = i + 1
			continue
		}
		out = append(out, sp)
	}
	return out
}

// Gazetteer holds known place names (the center's compounds, places of past
// orders) and finds them in a text however the segmenter cuts them.
type Gazetteer struct {
	byFirst map[rune][]string
	// learnt are the names learnt from past orders (LearnPlaces) with the
	// kind the recogniser gave them: a learnt road stays a road, below a
	// compound; the names given to NewGazetteer are placeKnown.
	learnt map[string]placeKind
}

// NewGazetteer returns a gazetteer of the names (two or more characters;
// duplicates and blanks ignored).
func NewGazetteer(names []string) *Gazetteer {
	g := &Gazetteer{byFirst: map[rune][]string{}}
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) < 2 || seen[n] {
			continue
		}
		seen[n] = true
		r, _ := utf8.DecodeRuneInString(n)
		g.byFirst[r] = append(g.byFirst[r], n)
	}
	return g
}

// Len is the number of names.
func (g *Gazetteer) Len() int {
	if g == nil {
		return 0
	}
	n := 0
	for _, v := range g.byFirst {
		n += len(v)
	}
	return n
}

// find returns the known names in text, longest first at each position,
// with how many times each occurs.
func (g *Gazetteer) find(text string) map[string]int {
	if g == nil || len(g.byFirst) == 0 {
		return nil
	}
	var out map[string]int
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		best := ""
		for _, n := range g.byFirst[r] {
			if len(n) > len(best) && strings.HasPrefix(text[i:], n) {
				best = n
			}
		}
		if best != "" {
			if out == nil {
				out = map[string]int{}
			}
			out[best]++
			i += len(best)
			continue
		}
		i += size
	}
	return out
}

// samePlace reports whether two place names are the same place: equal, or
// one holds the other and the shorter has at least three characters
// (滨河苑 and 伊景园滨河苑; not 六路 and 东六路).
func samePlace(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return utf8.RuneCountInString(a) >= 3 && strings.Contains(b, a)
}

// placeKey is the key under which a place is indexed for candidate lookup:
// its last three characters, so that the names samePlace accepts meet.
func placeKey(p string) string {
	r := []rune(p)
	if len(r) > 3 {
		r = r[len(r)-3:]
	}
	return string(r)
}

// features turns a message into what the clusterer compares. In Legacy
// mode it is the word vector of before issue 17. Otherwise the words inside
// a recognised place name leave the problem vector (the place is compared
// as a place, not as word pieces), the anonymised area codes of the data
// (A市, A3区) are dropped, and the message's anchors are found.
func features(seg *Segmenter, text string, private []string, gaz *Gazetteer, legacy bool) msgFeatures {
	if legacy {
		counts, places, names := messageTokens(seg, text, true, private)
		return msgFeatures{counts: counts, places: places, names: names, sim: simhash(counts)}
	}
	text = Redact(removePrivate(text, private))
	f := msgFeatures{counts: map[string]int{}, places: map[string]int{}}
	all := map[string]int{}
	kinds := map[string]placeKind{}
	title, body, hasTitle := strings.Cut(text, "\n")
	if !hasTitle {
		title, body = "", text
	}
	titleClasses, bodyClasses := map[string]int{}, map[string]int{}
	add := func(s string, w, placeWeight int) map[string]int {
		words := seg.Cut(s)
		classes := bodyClasses
		if placeWeight == 3 {
			classes = titleClasses
		}
		for _, t := range words {
			for _, c := range problemClasses[t] {
				classes[c]++
			}
		}
		for n := range personNames(words) {
			if f.names == nil {
				f.names = make(map[string]bool)
			}
			f.names[n] = true
		}
		mentions := map[string]int{}
		if city, district := regions(words); f.city == "" || f.district == "" {
			if f.city == "" {
				f.city = city
			}
			if f.district == "" {
				f.district = district
			}
		}
		inPlace := make([]bool, len(words))
		for _, sp := range findPlaces(words) {
			for k := sp.start; k < sp.end; k++ {
				inPlace[k] = true
			}
			f.places[sp.name] = max(f.places[sp.name], placeWeight)
			mentions[sp.name]++
			kinds[sp.name] = max(kinds[sp.name], sp.kind)
		}
		for name, n := range gaz.find(s) {
			f.places[name] = max(f.places[name], placeWeight)
			mentions[name] += n
			kinds[name] = max(kinds[name], gaz.kind(name))
		}
		for i, t := range words {
			if single(t) && !seg.IsStopWord(t) && (i == 0 || !single(words[i-1]) || seg.IsStopWord(words[i-1])) {
				// A run of single characters is a word the dictionary lacks
				// (58 车 贷, 聚 利): kept whole as one term.
				j := i
				for j+1 < len(words) && single(words[j+1]) && !seg.IsStopWord(words[j+1]) {
					j++
				}
				if j > i {
					run := strings.Join(words[i:j+1], "")
					all[run] += w
					if !inPlace[i] {
						f.counts[run] += w
					}
				}
			}
			if seg.IsStopWord(t) || (utf8.RuneCountInString(t) < 2 && isHan(t)) || isDigits(t) || redactedWords[t] || areaCode(t) {
				continue
			}
			all[t] += w
			if !inPlace[i] {
				f.counts[t] += w
			}
		}
		return mentions
	}
	titleMentions := add(title, 2, 3)
	bodyMentions := add(body, 1, 1)
	f.anchors = anchorsOf(titleMentions, bodyMentions, kinds)
	f.classes = classesOf(titleClasses, bodyClasses)
	f.sim = simhash(all)
	return f
}

// single reports whether t is one Han character.
func single(t string) bool {
	r, size := utf8.DecodeRuneInString(t)
	return size == len(t) && size > 1 && unicode.Is(unicode.Han, r)
}

// areaCode reports whether t is one of the data's anonymised area codes as
// segmented (a, a3, k9): in every other message, they say nothing.
func areaCode(t string) bool {
	if len(t) == 0 || len(t) > 3 || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// anchorsOf picks the places a message is about: those of the most precise
// kind named in its title, or, with none there, the most precise places its
// body names at least twice (or the only one it names). A body names many
// places in passing (where the writer lives, the road to the school); the
// title and repetition say which one the message is about.
func anchorsOf(title, body map[string]int, kinds map[string]placeKind) []string {
	pick := func(m map[string]int, minCount int) []string {
		best := placeKind(0)
		for p, n := range m {
			if n >= minCount {
				best = max(best, kinds[p])
			}
		}
		var out []string
		for p, n := range m {
			if n >= minCount && kinds[p] == best {
				out = append(out, p)
			}
		}
		slices.Sort(out)
		return out
	}
	if len(title) > 0 {
		return pick(title, 1)
	}
	if a := pick(body, 2); len(a) > 0 {
		return a
	}
	if len(body) == 1 {
		return pick(body, 1)
	}
	return nil
}

// simhash is a 64-bit SimHash (Charikar 2002) of weighted words: near
// copies of a text differ in a few bits.
func simhash(counts map[string]int) uint64 {
	var v [64]int
	for t, w := range counts {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		for b := range 64 {
			if x&(1<<b) != 0 {
				v[b] += w
			} else {
				v[b] -= w
			}
		}
	}
	var out uint64
	for b := range 64 {
		if v[b] > 0 {
			out |= 1 << b
		}
	}
	return out
}

// copyBits is the largest SimHash distance at which two messages count as
// copies of one text (measured on the reposts of the labelled file).
const copyBits = 3

// problemClasses name the kinds of problem hotline messages are about,
// each by the words that say it. Two messages about one place share a
// problem when they share a class, however differently they put it
// (烧烤摊油烟 and 排烟管道); messages about one place with no class in
// common are two problems there (油烟 and 电梯) and must be alike in their
// words to join.
var problemClasses = func() map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(`油烟: 油烟 烧烤 排烟 烟道 夜宵 餐饮 餐馆 饭店 烧烤摊 夜宵摊 餐厅 小吃店 住改商
噪音: 噪音 噪声 扰民 吵 吵闹 施工 深夜 凌晨 广场舞 喇叭
停车: 停车 车位 停车场 停车费 乱停 占道
拆迁: 拆迁 征收 征地 补偿 安置 棚改 旧城改造
入学: 入学 学位 上学 招生 入园 就读 学区 普惠 公办 幼儿园 小学
供水电气: 停水 水压 供水 自来水 停电 供电 停气 燃气 天然气 供暖 暖气
房屋质量: 质量 漏水 开裂 渗水 裂缝 精装
物业: 物业 物业费 业委会 业主委员会
交通: 拥堵 堵车 红绿灯 信号灯 人行道 天桥 斑马线 路口 通车 地铁 公交
道路: 路面 修路 坑洼 破损 断头路 泥泞
违建: 违建 违章 私搭 搭建 乱建
诈骗: 诈骗 集资 立案 受害人 跑路 提现 出借人 经侦 平台
工资: 工资 欠薪 拖欠 讨薪
收费: 收费 乱收费 退费 涨价 捆绑 价格
环境: 垃圾 臭味 垃圾站 污水 粉尘 扬尘 污染
实习: 实习 顶岗`, "\n") {
		name, words, _ := strings.Cut(line, ":")
		for _, w := range strings.Fields(words) {
			m[w] = append(m[w], name)
		}
	}
	return m
}()

// classesOf returns the problem classes of a message: those its title
// names, or, with none there, those its body names at least twice.
func classesOf(title, body map[string]int) []string {
	pick := func(m map[string]int, min int) []string {
		var out []string
		for c, n := range m {
			if n >= min {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		return out
	}
	if c := pick(title, 1); len(c) > 0 {
		return c
	}
	return pick(body, 2)
}
