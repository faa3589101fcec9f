package registry

import (
	"strconv"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/place"
)

// ImportRow is one spreadsheet row, checked and mapped to the registry's
// terms. The household (compound, building, unit, room) is resolved
// against the area's places when the import is applied.
type ImportRow struct {
	Line     int
	Compound string // as written: a compound's name or code
	Building string // as written: 29, 29号, 29号楼 or the building's code
	UnitNo   string
	Room     string
	Person   Person // Household unset
}

// Problem is a bad row: its line in the file (the header is line 1) and
// what is wrong, in words a committee worker can act on.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// ImportReport is what an import did (or, with Problems, why it did
// nothing).
type ImportReport struct {
	Rows       int       `json:"rows"`
	Created    int       `json:"created"`
	Updated    int       `json:"updated"`
	Unchanged  int       `json:"unchanged"`
	Households int       `json:"households_created"`
	Problems   []Problem `json:"problems"`
}

// Progress is told how many rows of how many are done.
type Progress func(done, total int)

// columns maps each field to the headers committees use for it (after
// dropping spaces, brackets and a trailing colon).
var columns = map[string][]string{
	"compound":  {"小区", "小区名称", "小区名", "所在小区"},
	"building":  {"楼号", "楼栋", "楼栋号", "幢号", "栋号", "楼", "幢"},
	"unit_no":   {"单元", "单元号"},
	"room":      {"室号", "房号", "室", "房间号", "门牌号", "户号"},
	"name":      {"姓名", "名字"},
	"gender":    {"性别"},
	"birth":     {"出生日期", "出生年月日", "生日", "出生年月"},
	"id_number": {"身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"},
	"phone":     {"联系电话", "手机号", "电话", "手机", "手机号码", "联系方式", "电话号码"},
	"relation":  {"与户主关系", "户主关系", "关系"},
	"residence": {"户籍类型", "人口类型", "户籍", "居住类型"},
	"tags":      {"关爱标签", "标签", "关爱对象", "重点人群"},
	"notes":     {"备注", "说明"},
	"status":    {"状态", "人员状态"},
}

func headerKey(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	h = strings.TrimRight(h, ":：*")
	r := strings.NewReplacer(" ", "", "\u3000", "", "(", "", ")", "", "（", "", "）", "")
	return r.Replace(h)
}

// required columns: without them the file is refused as a whole.
var requiredColumns = []string{"compound", "building", "room", "name"}

var columnNames = map[string]string{"compound": "小区", "building": "楼号", "room": "室号", "name": "姓名"}

// MapHeader finds the columns of a header row: field → column index.
func MapHeader(header []string) (map[string]int, error) {
	at := map[string]int{}
	for i, h := range header {
		k := headerKey(h)
		for field, names := range columns {
			for _, n := range names {
				if k == n {
					if _, seen := at[field]; !seen {
						at[field] = i
					}
				}
			}
		}
	}
	var missing []string
	for _, f := range requiredColumns {
		if _, ok := at[f]; !ok {
			missing = append(missing, columnNames[f])
		}
	}
	if len(missing) > 0 {
		return at, apperr.Field("file", "the header row lacks the column(s) "+strings.Join(missing, "、")+" (line 1)")
	}
	return at, nil
}

var (
	genders    = map[string]string{"男": "m", "女": "f", "m": "m", "f": "f", "M": "m", "F": "f"}
	relations  = map[string]string{"户主": "head", "本人": "head", "配偶": "spouse", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse", "子": "child", "女": "child", "儿子": "child", "女儿": "child", "子女": "child", "长子": "child", "长女": "child", "次子": "child", "次女": "child", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent", "父母": "parent", "其他": "other"}
	residences = map[string]string{"户籍": "registered", "户籍人口": "registered", "常住": "resident", "常住人口": "resident", "人户分离": "resident", "流动": "floating", "流动人口": "floating", "外来人口": "floating", "来沪人员": "floating"}
	statuses   = map[string]Status{"在册": Active, "正常": Active, "迁出": MovedOut, "已迁出": MovedOut, "死亡": Deceased, "已故": Deceased}
)

// mapWord maps a Chinese word (or the contract's own code) to a code.
func mapWord(m map[string]string, s string, codes []string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if oneOf(s, codes) {
		return s, true
	}
	v, ok := m[s]
	return v, ok
}

// splitTags splits "独居老人，80岁以上、残疾" on any separator committees use.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == '/' || r == ' ' || r == '\u3000' || r == '|'
	})
}

// normalizeDate accepts 1948-03-07, 1948/3/7, 1948.3.7, 19480307 and
// 1948年3月7日.
func normalizeDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == '年' || r == '月' || r == '日' })
	if len(parts) != 3 {
		return s
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return s
	}
	return strconv.Itoa(y) + "-" + pad2(m) + "-" + pad2(d)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ParseTable checks and maps every data row of a spreadsheet (table[0] is
// the header). It reports every bad row, with its line number and reason;
// blank rows are skipped. Two rows with the same ID number are a problem
// on the second.
func ParseTable(table [][]string) ([]ImportRow, []Problem, error) {
	if len(table) == 0 {
		return nil, nil, apperr.Field("file", "empty: a header row (小区, 楼号, 室号, 姓名 …) and one row per resident are needed")
	}
	at, err := MapHeader(table[0])
	if err != nil {
		return nil, nil, err
	}
	var rows []ImportRow
	var problems []Problem
	seen := map[string]int{}
	for i, rec := range table[1:] {
		line := i + 2
		get := func(field string) string {
			if c, ok := at[field]; ok && c < len(rec) {
				return strings.TrimSpace(rec[c])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		row, reasons := parseRow(get)
		row.Line = line
		if id := row.Person.IDNumber; id != "" && len(reasons) == 0 {
			if first, dup := seen[id]; dup {
				reasons = append(reasons, "身份证号与第 "+strconv.Itoa(first)+" 行重复 (the same ID number as line "+strconv.Itoa(first)+")")
			} else {
				seen[id] = line
			}
		}
		if len(reasons) > 0 {
			problems = append(problems, Problem{Line: line, Reason: strings.Join(reasons, "; ")})
			continue
		}
		rows = append(rows, row)
	}
	return rows, problems, nil
}

// fieldNames are the Chinese names of the fields in reasons.
var fieldNames = map[string]string{"id_number": "身份证号", "phone": "联系电话", "birth_date": "出生日期", "gender": "性别", "name": "姓名",
	"relation": "与户主关系", "residence": "户籍类型", "care_tags": "关爱标签", "notes": "备注", "status": "状态", "compound": "小区",
	"building": "楼号", "room": "室号", "unit_no": "单元"}

func parseRow(get func(string) string) (ImportRow, []string) {
	f := apperr.Fields{}
	row := ImportRow{Compound: get("compound"), Building: get("building"), UnitNo: get("unit_no"), Room: get("room")}
	place.CheckText(f, "compound", row.Compound, 64, true)
	place.CheckText(f, "building", row.Building, 32, true)
	place.CheckText(f, "unit_no", row.UnitNo, 16, false)
	place.CheckText(f, "room", row.Room, 32, true)
	p := Person{Name: get("name"), BirthDate: normalizeDate(get("birth")), Notes: get("notes")}
	if g, ok := genders[get("gender")]; ok {
		p.Gender = g
	} else if get("gender") != "" {
		f.Add("gender", "男 or 女")
	}
	var ok bool
	if p.Relation, ok = mapWord(relations, get("relation"), Relations); !ok {
		f.Add("relation", "户主, 配偶, 子女, 父母 or 其他")
	}
	if p.Residence, ok = mapWord(residences, get("residence"), Residences); !ok {
		f.Add("residence", "户籍, 常住 or 流动")
	}
	if s := get("status"); s != "" {
		if st, ok := statuses[s]; ok {
			p.Status = st
		} else if Status(s).Valid() {
			p.Status = Status(s)
		} else {
			f.Add("status", "在册, 迁出 or 死亡")
		}
	}
	for _, t := range splitTags(get("tags")) {
		tag, ok := TagFromChinese(t)
		if !ok {
			f.Add("care_tags", "unknown tag "+strconv.Quote(t)+" (独居老人, 80岁以上, 残疾, 低保, 行动不便, 留守儿童)")
		}
		p.Tags |= tag.Bit()
	}
	p.IDNumber = CheckIDNumber(f, get("id_number"))
	p.Phone = CheckPhone(f, get("phone"))
	fill(f, &p)
	row.Person = p
	var reasons []string
	for _, k := range []string{"compound", "building", "unit_no", "room", "name", "gender", "birth_date", "id_number", "phone", "relation", "residence", "care_tags", "status", "notes"} {
		if msg, bad := f[k]; bad {
			reasons = append(reasons, fieldNames[k]+": "+msg.Text)
		}
	}
	return row, reasons
}

// Same reports whether an import row would change nothing of a stored
// person (whose sealed fields are given in the clear).
func Same(a, b Person) bool {
	return a.Household == b.Household && a.Name == b.Name && a.Gender == b.Gender && a.BirthDate == b.BirthDate &&
		a.IDNumber == b.IDNumber && a.Phone == b.Phone && a.Relation == b.Relation && a.Residence == b.Residence &&
		a.Tags == b.Tags && a.Notes == b.Notes && a.Status == b.Status
}

// ExportRow is a resident as an export writes it: with the household's unit
// and room, and, for an unmasked export, the sealed fields in the clear.
type ExportRow struct {
	Resident
	Unit, Room string
}

// Chinese words for the codes, as an export writes them (and an import
// reads them back).
var (
	RelationZh  = map[string]string{"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "other": "其他"}
	ResidenceZh = map[string]string{"registered": "户籍", "resident": "常住", "floating": "流动"}
	StatusZh    = map[Status]string{Active: "在册", MovedOut: "迁出", Deceased: "死亡"}
	GenderZh    = map[string]string{"m": "男", "f": "女"}
)

// ExportHeader is the header row of an export: the import's own column
// names, so an unmasked export imports back unchanged.
var ExportHeader = []string{"小区", "楼号", "单元", "室号", "姓名", "性别", "出生日期", "身份证号", "联系电话", "与户主关系", "户籍类型", "关爱标签", "备注", "状态"}

// ExportRecord is one row of an export under ExportHeader.
func ExportRecord(r ExportRow) []string {
	var tags []string
	for _, t := range r.CareTags {
		tags = append(tags, TagNames[t][0])
	}
	return []string{r.Compound, buildingName(r.Building, r.Compound), r.Unit, r.Room, r.Name, GenderZh[r.Gender], r.BirthDate, r.IDNumber, r.Phone,
		RelationZh[r.Relation], ResidenceZh[r.Residence], strings.Join(tags, "，"), r.Notes, StatusZh[r.Status]}
}

// buildingName is the part of a building code after its compound (what
// the import resolves back to the same building).
func buildingName(code, compound string) string {
	return strings.TrimPrefix(code, compound+"-")
}
