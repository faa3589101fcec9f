package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place"
	"hotline/internal/place/placedb"
	"hotline/internal/sqldb"
)

// The demo's registry is generated, deterministically (one fixed seed), at
// the real size of 宾阳路居民区 (6 compounds, about 2,490 households and
// 9,200 residents) with smaller areas for 月河 and 龙漕. Every person is
// fake and reads as fake:
//   - names are a surname followed by 演示 and a heavenly stem (王演示甲,
//     李演示丙): no real given name is ever made;
//   - ID numbers start with region code 990000, which belongs to no
//     province (real ones start 11–82), and carry a valid GB 11643 check
//     digit only because the registry's validator requires one;
//   - phones are 1380000xxxx (13800001000–13800009999), the range the demo's
//     orders already use, not issued to subscribers.
const (
	DemoRegion    = "990000"
	demoSeed      = 20261206
	demoNamePart  = "演示"
	demoPhoneBase = 13800001000
)

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

var stems = []string{"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"}

// layout is how a compound's buildings are laid out: which numbers, how
// many floors, units (单元) and rooms per floor in each unit.
type layout struct {
	compound string
	numbers  []string
	floors   int
	units    int
	rooms    int
	lowLying []string // buildings that flood first
}

// demoLayouts put 2,492 households in 宾阳路's six compounds (old six-floor
// 新村 blocks, a 1990s garden estate, two towers, a 里弄 of small houses)
// and 264 in the two other areas. The buildings the demo's orders name are
// among them.
var demoLayouts = []layout{
	{"sanjiang", nums("号楼", 21, 32), 6, 2, 3, []string{"29号楼", "30号楼"}},
	{"binyang_xincun", nums("号楼", 1, 16), 6, 3, 2, []string{"1号楼"}},
	{"longhua_garden", nums("号楼", 6, 13), 7, 2, 3, nil},
	{"ruiyuan", nums("幢", 1, 6), 18, 1, 6, nil},
	{"meilong_court", []string{"A座", "B座"}, 20, 1, 8, nil},
	{"yanqing_li", odd("号", 1, 59), 3, 1, 2, []string{"11号", "13号"}},
	{"yuehe_yuan", nums("号楼", 1, 4), 6, 2, 2, nil},
	{"longcao_xincun", nums("号楼", 5, 8), 6, 3, 2, []string{"6号楼"}},
}

func nums(suffix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i)+suffix)
	}
	return out
}

func odd(suffix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i += 2 {
		out = append(out, strconv.Itoa(i)+suffix)
	}
	return out
}

// RegistryHousehold is one generated household and its members.
type RegistryHousehold struct {
	Compound, Building string // building number ("29号楼")
	Floors             int
	LowLying           bool
	Household          place.NewHousehold
	Members            []registry.Person // Household field unset
}

// Registry generates the demo's households and residents. It is pure and
// deterministic: the same slice every time.
func Registry(today time.Time) []RegistryHousehold {
	g := &gen{rnd: rand.New(rand.NewPCG(demoSeed, 1)), today: today, ids: map[string]bool{}}
	var out []RegistryHousehold
	for _, l := range demoLayouts {
		for _, num := range l.numbers {
			low := false
			for _, x := range l.lowLying {
				low = low || x == num
			}
			for u := 1; u <= l.units; u++ {
				for f := 1; f <= l.floors; f++ {
					for r := 1; r <= l.rooms; r++ {
						unit := ""
						if l.units > 1 {
							unit = strconv.Itoa(u)
						}
						room := strconv.Itoa(f*100 + (u-1)*l.rooms + r)
						h := RegistryHousehold{Compound: l.compound, Building: num, Floors: l.floors, LowLying: low,
							Household: place.NewHousehold{UnitNo: unit, Room: room, Kind: place.Residential}}
						g.fill(&h, f)
						out = append(out, h)
					}
				}
			}
		}
	}
	return out
}

type gen struct {
	rnd   *rand.Rand
	today time.Time
	ids   map[string]bool
	phone int
}

func (g *gen) pick(p float64) bool { return g.rnd.Float64() < p }

func (g *gen) between(lo, hi int) int { return lo + g.rnd.IntN(hi-lo+1) }

// fill makes a household's kind and members: the mix of an old Shanghai
// neighbourhood (a third of the people over 60, one in ten over 80,
// elderly people living alone, three generations under one roof, tenants
// who came to work), so care lists have the lengths committees know.
func (g *gen) fill(h *RegistryHousehold, floor int) {
	x := g.rnd.Float64()
	switch {
	case x < 0.03:
		h.Household.Kind = place.Vacant
		return
	case x < 0.045 && floor == 1:
		h.Household.Kind = place.Shop
		return
	case x < 0.05:
		h.Household.Kind = place.Collective
		for i := range g.between(3, 6) {
			h.Members = append(h.Members, g.person(g.between(20, 45), "", "other", "floating", i == 0))
		}
		return
	}
	surname := string(surnames[g.rnd.IntN(len(surnames))])
	y := g.rnd.Float64()
	switch {
	case y < 0.14: // one elderly person living alone
		p := g.person(g.between(62, 96), surname, "head", "registered", true)
		p.Tags |= registry.ElderlyAlone.Bit()
		h.Members = append(h.Members, p)
	case y < 0.30: // an elderly couple
		a := g.between(60, 92)
		h.Members = append(h.Members, g.person(a, surname, "head", "registered", true), g.person(a+g.between(-4, 3), "", "spouse", "registered", true))
	case y < 0.68: // three generations: grandparents, their child's family
		a := g.between(58, 88)
		h.Members = append(h.Members, g.person(a, surname, "head", "registered", true), g.person(a+g.between(-4, 3), "", "spouse", "registered", true))
		c := a - g.between(24, 32)
		h.Members = append(h.Members, g.person(c, surname, "child", "registered", true), g.person(c+g.between(-3, 3), "", "other", "resident", true))
		kids := g.between(1, 2)
		if g.pick(0.15) {
			kids++
		}
		for range kids {
			h.Members = append(h.Members, g.person(c-g.between(22, 34), surname, "other", "registered", false)) // a grandchild
		}
		if g.pick(0.2) { // a great-grandparent
			h.Members = append(h.Members, g.person(min(a+g.between(20, 26), 101), surname, "parent", "registered", false))
		}
	case y < 0.88: // a family: parents, children, sometimes a parent
		a := g.between(30, 56)
		h.Members = append(h.Members, g.person(a, surname, "head", "registered", true), g.person(a+g.between(-4, 3), "", "spouse", "registered", true))
		for range g.between(1, 2) {
			h.Members = append(h.Members, g.person(max(a-g.between(24, 34), 1), surname, "child", "registered", false))
		}
		if g.pick(0.4) {
			h.Members = append(h.Members, g.person(a+g.between(24, 32), surname, "parent", "registered", true))
		}
	default: // tenants come to work; now and then a child left with grandparents
		n := g.between(2, 5)
		for i := range n {
			h.Members = append(h.Members, g.person(g.between(19, 45), "", map[bool]string{true: "head", false: "other"}[i == 0], "floating", true))
		}
		if g.pick(0.12) {
			a := g.between(58, 72)
			h.Members = append(h.Members[:0], g.person(a, surname, "head", "floating", true), g.person(g.between(6, 14), surname, "other", "floating", false))
			h.Members[1].Tags |= registry.ChildLeftBehind.Bit()
		}
	}
	if g.pick(0.04) { // 低保: the whole household
		for i := range h.Members {
			h.Members[i].Tags |= registry.LowIncome.Bit()
		}
	}
}

// person makes one fake person of age years. An empty surname draws one
// (a spouse keeps her or his own). phone says whether they get one.
func (g *gen) person(age int, surname, relation, residence string, phone bool) registry.Person {
	if surname == "" {
		surname = string(surnames[g.rnd.IntN(len(surnames))])
	}
	age = max(age, 0)
	gender := "m"
	if g.pick(0.5) {
		gender = "f"
	}
	birth := g.today.AddDate(-age, 0, -g.between(1, 364))
	p := registry.Person{Name: surname + demoNamePart + stems[g.rnd.IntN(len(stems))], Gender: gender,
		BirthDate: birth.Format("2006-01-02"), Relation: relation, Residence: residence, Status: registry.Active}
	p.IDNumber = g.idNumber(birth, gender)
	if phone && g.phone < 9000 && g.pick(0.75) {
		p.Phone = strconv.Itoa(demoPhoneBase + g.phone)
		g.phone++
	}
	if age >= 80 {
		p.Tags |= registry.Elderly80Plus.Bit()
	}
	if age >= 75 && g.pick(0.18) {
		p.Tags |= registry.MobilityImpaired.Bit()
	}
	if g.pick(0.025) {
		p.Tags |= registry.Disabled.Bit()
		p.Notes = "演示数据：残疾证等级需上门核实"
	}
	return p
}

// idNumber makes a unique, checksummed demo ID number (region 990000): the
// sequence's last digit is odd for men, as GB 11643 says.
func (g *gen) idNumber(birth time.Time, gender string) string {
	for {
		seq := g.rnd.IntN(500) * 2
		if gender == "m" {
			seq++
		}
		first := DemoRegion + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
		id := first + string(registry.CheckDigitOf(first))
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

// LoadRegistry writes the generated registry into a database whose
// registry is empty (a restarted demo keeps what it has): buildings,
// households and residents in one transaction of multi-row inserts (one
// commit: each commit is an fsync), audited once.
func LoadRegistry(ctx context.Context, db *sqldb.DB, res *registrydb.Store) error {
	if has, err := placedb.HasHouseholds(ctx, db.R); err != nil || has {
		return err
	}
	hs := Registry(time.Now().In(time.FixedZone("CST", 8*3600)))
	area := map[string]string{}
	for _, c := range compounds {
		area[c.code] = c.committee
	}
	buildings := map[string]place.Building{}
	var list []place.Building
	for _, h := range hs {
		key := h.Compound + "/" + h.Building
		if _, ok := buildings[key]; ok {
			continue
		}
		n := len(list)
		b := place.Building{Code: place.BuildingCode(h.Compound, h.Building), Name: h.Building, Compound: h.Compound, Area: area[h.Compound],
			Floors: h.Floors, LowLying: h.LowLying, Point: &place.Point{Lat: 31.17 + float64(n%40)*0.0002, Lng: 121.44 + float64(n/40)*0.0003}}
		buildings[key] = b
		list = append(list, b)
	}
	now := time.Now()
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := placedb.PutBuildings(ctx, db, tx, list); err != nil {
			return err
		}
		at := make([]placedb.NewHouseholdAt, len(hs))
		for i, h := range hs {
			at[i] = placedb.NewHouseholdAt{Building: buildings[h.Compound+"/"+h.Building], NewHousehold: h.Household}
		}
		ids, err := placedb.InsertHouseholds(ctx, db, tx, at, now)
		if err != nil {
			return err
		}
		var ps []registrydb.Placed
		for i, h := range hs {
			b := at[i].Building
			for _, m := range h.Members {
				m.Household = ids[i]
				ps = append(ps, registrydb.Placed{Person: m, Area: b.Area, Compound: b.Compound, Building: b.Code})
			}
		}
		if _, err := res.InsertMany(ctx, tx, ps, now); err != nil {
			return err
		}
		return sqldb.Audit(ctx, tx, "demo", "registry.demo_load", "registry", fmt.Sprintf("households=%d residents=%d", len(hs), len(ps)))
	})
}
