// Package demo loads the demo subdistrict of api.md into an empty database:
// units, users, the category catalogue, the compounds of 宾阳路居民区, and
// orders in every state, written for the demo (no real person's data).
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"hotline/internal/apperr"
	histgen "hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/service"
)

// Password is every demo user's password; demo mode warns that it is public.
const Password = "demo12345"

// Users are the demo accounts: username, role, unit, display name.
var Users = []struct {
	Username, Role, Unit, Name string
}{
	{"operator", "operator", "center", "受理员 小陈"},
	{"dispatcher", "dispatcher", "center", "派单员 老周"},
	{"leader", "leader", "center", "城运中心 主任"},
	{"admin", "admin", "center", "系统管理员"},
	{"binyang", "handler", "binyang", "宾阳路居委会 书记"},
	{"cityops", "handler", "cityops", "城市管理办 承办人"},
	{"volunteer", "volunteer", "binyang", "志愿者 小李"},
}

var units = []org.Unit{
	{Code: "center", Name: "城运中心", NameEN: "City Operations Center", Kind: "center"},
	{Code: "binyang", Name: "宾阳路居委会", NameEN: "Binyang Road Committee", Kind: "committee"},
	{Code: "yuehe", Name: "月河居委会", NameEN: "Yuehe Committee", Kind: "committee"},
	{Code: "longcao", Name: "龙漕居委会", NameEN: "Longcao Committee", Kind: "committee"},
	{Code: "cityops", Name: "城市管理办", NameEN: "City Management Office", Kind: "section"},
	{Code: "housing", Name: "房管办", NameEN: "Housing Office", Kind: "section"},
	{Code: "greening", Name: "绿化市容所", NameEN: "Greening and Sanitation", Kind: "section"},
	{Code: "safety", Name: "平安办", NameEN: "Public Security Coordination", Kind: "section"},
	{Code: "civil", Name: "社区服务办", NameEN: "Community Services", Kind: "section"},
}

type cat struct {
	code, name, en, unit, keywords string
}

// catalogue is the two-level catalogue: what subdistrict hotlines receive most.
var catalogue = []cat{
	{"environment", "环境噪音与污染", "Noise and pollution", "cityops", ""},
	{"environment.noise", "夜间施工噪音", "Night construction noise", "cityops", "噪音,施工,夜间,扰民"},
	{"environment.dust", "施工扬尘", "Construction dust", "cityops", "扬尘,灰尘,工地"},
	{"environment.fumes", "餐饮油烟", "Cooking fumes", "cityops", "油烟,饭店,餐馆"},
	{"property", "物业与房屋", "Property and housing", "housing", ""},
	{"property.management", "物业管理", "Property management", "housing", "物业,保安,维修基金"},
	{"property.illegal_building", "违法搭建", "Illegal building", "cityops", "违建,搭建,加盖"},
	{"property.group_rental", "群租", "Crowded rentals", "housing", "群租,隔断,二房东"},
	{"sanitation", "市容环卫", "Sanitation", "greening", ""},
	{"sanitation.garbage_sorting", "垃圾分类", "Garbage sorting", "greening", "垃圾分类,垃圾房,湿垃圾"},
	{"sanitation.construction_waste", "建筑垃圾", "Construction waste", "greening", "建筑垃圾,装修垃圾,渣土"},
	{"facilities", "市政设施", "Public facilities", "cityops", ""},
	{"facilities.street_light", "路灯", "Street lights", "cityops", "路灯,照明,不亮"},
	{"facilities.manhole", "窨井盖", "Manhole covers", "cityops", "窨井盖,井盖"},
	{"facilities.parking", "停车管理", "Parking", "safety", "停车,占道,车位"},
	{"utilities", "水电气", "Water, power and gas", "housing", ""},
	{"utilities.water", "供水", "Water supply", "housing", "停水,水压,漏水"},
	{"utilities.power", "供电", "Power supply", "housing", "停电,电压"},
	{"utilities.gas", "燃气", "Gas", "housing", "燃气,煤气,漏气"},
	{"community", "社区事务", "Community affairs", "civil", ""},
	{"community.neighbour_dispute", "邻里纠纷", "Neighbour disputes", "binyang", "邻居,纠纷,漏水到楼下"},
	{"community.elderly_care", "为老服务", "Elderly care", "civil", "老人,独居,助餐"},
	{"community.epidemic", "疫情防控", "Epidemic prevention", "civil", "疫情,核酸,隔离"},
	{"community.flooding", "防汛积水", "Flooding", "cityops", "积水,防汛,台风"},
	{"community.praise", "表扬", "Praise", "", "表扬,感谢,锦旗"},
}

type compound struct {
	code, name, committee string
	lat, lng              float64
	buildings             []string
}

var compounds = []compound{
	{"sanjiang", "三江小区", "binyang", 31.1755, 121.4480, []string{"27号楼", "28号楼", "29号楼", "30号楼"}},
	{"binyang_xincun", "宾阳新村", "binyang", 31.1768, 121.4465, []string{"1号楼", "2号楼", "3号楼", "5号楼"}},
	{"longhua_garden", "龙华花园", "binyang", 31.1742, 121.4497, []string{"8号楼", "9号楼", "10号楼"}},
	{"ruiyuan", "瑞苑", "binyang", 31.1779, 121.4489, []string{"1幢", "2幢", "3幢"}},
	{"meilong_court", "梅陇公寓", "binyang", 31.1750, 121.4459, []string{"A座", "B座"}},
	{"yanqing_li", "延庆里", "binyang", 31.1731, 121.4473, []string{"11号", "13号", "15号"}},
	{"yuehe_yuan", "月河苑", "yuehe", 31.1702, 121.4532, []string{"1号楼", "2号楼"}},
	{"longcao_xincun", "龙漕新村", "longcao", 31.1810, 121.4424, []string{"6号楼", "7号楼"}},
}

// square returns a small GeoJSON polygon around a point, so the map has
// outlines to draw without internet tiles.
func square(lat, lng float64) string {
	d := 0.0006
	ring := [][2]float64{{lng - d, lat - d}, {lng + d, lat - d}, {lng + d, lat + d}, {lng - d, lat + d}, {lng - d, lat - d}}
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	return string(b)
}

// Options choose what Load adds to the demo subdistrict.
type Options struct {
	// History is the number of orders of the past year written before the
	// hand-written ones (HistoryOrders for serve --demo); 0 writes none, so
	// tests that count the demo's orders see only the hand-written ones.
	History int
}

// Store is what the demo writes into the orders' storage itself, beside
// the orders it creates through the service: the directory (units,
// categories, compounds, buildings, which no actor's action creates in
// bulk) and the past year through the simulator's bulk path (gen.Store).
// The app hands it the store; *store.Store has it.
type Store interface {
	histgen.Store
	CountOrders(ctx context.Context) (int, error)
	PutUnit(ctx context.Context, u org.Unit) error
	PutCategory(ctx context.Context, c org.Category) error
	PutCompound(ctx context.Context, c place.OrderCompound) error
	PutBuilding(ctx context.Context, b place.OrderBuilding) error
	Units(ctx context.Context) ([]org.Unit, error)
	Categories(ctx context.Context) ([]org.Category, error)
	Compounds(ctx context.Context, committee string) ([]place.OrderCompound, error)
	Buildings(ctx context.Context, compound string) ([]place.OrderBuilding, error)
}

// Load fills an empty database with the demo subdistrict. It refuses a
// database that already has orders, so a real one is never touched.
func Load(ctx context.Context, svc *service.Service, st Store) error {
	return LoadWith(ctx, svc, st, Options{})
}

// LoadWith is Load with a past year of orders when opts.History > 0.
func LoadWith(ctx context.Context, svc *service.Service, st Store, opts Options) error {
	n, err := st.CountOrders(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil // already loaded (or a real database): leave it alone
	}
	for _, u := range units {
		u.Active = true
		if err := st.PutUnit(ctx, u); err != nil {
			return err
		}
	}
	for i, c := range catalogue {
		parent := ""
		if p := indexDot(c.code); p > 0 {
			parent = c.code[:p]
		}
		attrs := `[]`
		if parent != "" {
			attrs = `[{"code":"location_detail","datatype":"string","required":false,"description":"具体位置（楼号/门口） Exact spot","order":1}]`
		}
		if err := st.PutCategory(ctx, org.Category{Code: c.code, Name: c.name, NameEN: c.en, Parent: parent, Unit: c.unit,
			Attributes: json.RawMessage(attrs), Keywords: c.keywords, Sort: i, Active: true}); err != nil {
			return err
		}
	}
	for _, c := range compounds {
		lat, lng := c.lat, c.lng
		if err := st.PutCompound(ctx, place.OrderCompound{Code: c.code, Name: c.name, Committee: c.committee, GeoJSON: square(lat, lng), Lat: &lat, Lng: &lng}); err != nil {
			return err
		}
		for i, b := range c.buildings {
			bl, bg := lat+float64(i)*0.0001, lng+float64(i)*0.0001
			if err := st.PutBuilding(ctx, place.OrderBuilding{Compound: c.code, Number: b, Floors: 6, LowLying: c.code == "sanjiang" && b == "29号楼", Lat: &bl, Lng: &bg}); err != nil {
				return err
			}
		}
	}
	if err := svc.Reload(ctx); err != nil {
		return err
	}
	for _, u := range Users {
		if _, err := svc.CreateUser(ctx, u.Username, Password, order.Role(u.Role), u.Unit, u.Name); err != nil && !apperr.Is(err, apperr.Invalid) {
			return fmt.Errorf("demo user %s: %w", u.Username, err)
		}
	}
	if opts.History > 0 {
		if err := loadHistory(ctx, svc, st, opts.History, time.Now().UTC()); err != nil {
			return err
		}
	}
	return loadOrders(ctx, svc)
}

func indexDot(s string) int {
	for i := range len(s) {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

var (
	opr  = order.Actor{Username: "operator", Role: order.RoleOperator, Unit: "center"}
	disp = order.Actor{Username: "dispatcher", Role: order.RoleDispatcher, Unit: "center"}
	lead = order.Actor{Username: "leader", Role: order.RoleLeader, Unit: "center"}
)

func handler(unit string) order.Actor {
	return order.Actor{Username: unit, Role: order.RoleHandler, Unit: unit}
}

// story is one demo order and how far it goes.
type story struct {
	typ      order.Type
	urgency  order.Urgency
	title    string
	desc     string
	category string
	compound string
	building string
	address  string
	caller   order.Caller
	unit     string
	steps    []string
}

// The demo phones are in 1380000xxxx, a range not issued to subscribers.
var stories = []story{
	{order.Complaint, order.Normal, "夜间施工噪音扰民", "三江小区旁边的租赁住房工地晚上十点以后还在打桩，噪音很大，老人孩子都睡不着，希望尽快处理。", "environment.noise", "sanjiang", "29号楼", "三江小区29号楼旁工地", order.Caller{Name: "王先生", Phone: "13800000101"}, "cityops", []string{"dispatch"}},
	{order.Complaint, order.Normal, "工地扬尘严重", "工地渣土车进出没有冲洗，小区门口全是灰，晾的衣服都脏了。", "environment.dust", "sanjiang", "", "三江小区东门", order.Caller{Name: "李女士", Phone: "13800000102"}, "", nil},
	{order.Consultation, order.Normal, "咨询垃圾分类投放时间", "请问宾阳新村的湿垃圾投放时间是几点到几点？", "sanitation.garbage_sorting", "binyang_xincun", "", "宾阳新村", order.Caller{Name: "赵阿姨", Phone: "13800000103"}, "", []string{"answer"}},
	{order.Report, order.Normal, "小区门口路灯坏了", "龙华花园南门口的路灯坏了一个星期，晚上很黑，老人走路不安全。", "facilities.street_light", "longhua_garden", "", "龙华花园南门", order.Caller{Name: "陈先生", Phone: "13800000104"}, "cityops", []string{"dispatch", "accept"}},
	{order.Complaint, order.Normal, "楼下饭店油烟直排", "瑞苑1幢楼下新开的饭店油烟直接往楼上排，窗户都不能开。", "environment.fumes", "ruiyuan", "1幢", "瑞苑1幢底商", order.Caller{Name: "周女士", Phone: "13800000105", Confidential: true}, "cityops", []string{"dispatch", "accept", "contact"}},
	{order.Help, order.Normal, "独居老人需要助餐服务", "宾阳新村3号楼一位独居老人行动不便，家属希望社区帮助联系助餐服务。", "community.elderly_care", "binyang_xincun", "3号楼", "宾阳新村3号楼", order.Caller{Name: "孙先生", Phone: "13800000106"}, "binyang", []string{"dispatch", "accept", "contact", "reply"}},
	{order.Complaint, order.Normal, "物业公司不作为", "梅陇公寓物业公司对电梯故障一拖再拖，业主多次反映无人处理。", "property.management", "meilong_court", "A座", "梅陇公寓A座", order.Caller{Name: "吴先生", Phone: "13800000107"}, "binyang", []string{"dispatch", "accept", "contact", "reply", "approve_reply"}},
	{order.Report, order.Normal, "群租房人员复杂", "延庆里13号一套两居室住了十几个人，进出频繁，存在安全隐患。", "property.group_rental", "yanqing_li", "13号", "延庆里13号", order.Caller{Name: "", Phone: "13800000108", Anonymous: true}, "binyang", []string{"dispatch", "accept", "contact", "reply", "approve_reply", "callback_ok"}},
	{order.Suggestion, order.Normal, "建议增设电动自行车充电桩", "三江小区电动自行车很多，建议在29号楼附近增设集中充电桩，避免飞线充电。", "community", "sanjiang", "29号楼", "三江小区", order.Caller{Name: "郑先生", Phone: "13800000109"}, "binyang", []string{"dispatch", "request_return"}},
	{order.Complaint, order.Normal, "窨井盖缺失", "宾阳路近龙华路口人行道上的窨井盖不见了，很危险。", "facilities.manhole", "", "", "宾阳路龙华路口", order.Caller{Name: "冯女士", Phone: "13800000110"}, "binyang", []string{"dispatch", "request_return", "approve_return"}},
	{order.Complaint, order.Urgent, "小区突然停水", "月河苑2号楼从早上开始停水，没有接到任何通知。", "utilities.water", "yuehe_yuan", "2号楼", "月河苑2号楼", order.Caller{Name: "何先生", Phone: "13800000111"}, "housing", []string{"dispatch", "accept"}},
	{order.Complaint, order.Normal, "建筑垃圾堆放点选址", "垃圾分类改造要在29号楼旁设建筑垃圾堆放点，29号楼居民反对，希望重新选址。", "sanitation.construction_waste", "sanjiang", "29号楼", "三江小区29号楼", order.Caller{Name: "钱先生", Phone: "13800000112"}, "binyang", []string{"dispatch", "accept", "contact", "reply", "approve_reply", "callback_bad"}},
	{order.Complaint, order.Normal, "违章搭建阳光房", "龙漕新村6号楼顶楼住户在屋顶搭建阳光房，影响楼下采光和房屋安全。", "property.illegal_building", "longcao_xincun", "6号楼", "龙漕新村6号楼", order.Caller{Name: "韩女士", Phone: "13800000113"}, "cityops", []string{"dispatch", "accept", "contact", "reply", "approve_reply", "callback_bad", "reopen"}},
	{order.Praise, order.Normal, "表扬宾阳路居委会书记", "感谢宾阳路居委会书记上门帮我家老人办理助餐，服务很贴心。", "community.praise", "binyang_xincun", "", "宾阳新村", order.Caller{Name: "杨女士", Phone: "13800000114"}, "binyang", []string{"dispatch", "accept", "contact", "reply_explained", "approve_reply", "close"}},
	{order.Consultation, order.Normal, "测试电话", "来电无声，多次询问无人应答。", "", "", "", "", order.Caller{Phone: "13800000115"}, "", []string{"invalidate"}},
	{order.Complaint, order.Normal, "夜间施工噪音又来了", "三江小区隔壁工地半夜还在施工，噪音吵得睡不着。", "environment.noise", "sanjiang", "28号楼", "三江小区28号楼", order.Caller{Name: "许先生", Phone: "13800000116"}, "", []string{"merge_first"}},
	{order.Complaint, order.Normal, "车辆乱停占用消防通道", "瑞苑2幢门口每天晚上都有车辆停在消防通道上。", "facilities.parking", "ruiyuan", "2幢", "瑞苑2幢", order.Caller{Name: "沈先生", Phone: "13800000117"}, "safety", []string{"dispatch", "accept", "contact", "urge", "supervise"}},
	{order.Complaint, order.Normal, "楼上漏水到我家", "宾阳新村5号楼楼上卫生间漏水，渗到我家天花板，沟通多次无果。", "community.neighbour_dispute", "binyang_xincun", "5号楼", "宾阳新村5号楼", order.Caller{Name: "朱女士", Phone: "13800000118"}, "binyang", []string{"dispatch", "accept", "contact", "extension"}},
	{order.Report, order.Emergency, "地下车库进水", "台风暴雨，梅陇公寓地下车库开始进水，多辆车有被淹风险。", "community.flooding", "meilong_court", "", "梅陇公寓地下车库", order.Caller{Name: "吕先生", Phone: "13800000119"}, "cityops", []string{"dispatch"}},
}

func loadOrders(ctx context.Context, svc *service.Service) error {
	var firstNoise string
	for i, s := range stories {
		v, err := svc.CreateOrder(ctx, opr, order.NewOrder{Type: s.typ, Source: order.SourceHotline, Urgency: s.urgency, Title: s.title,
			Description: s.desc, Category: s.category, Caller: &s.caller, Address: s.address, Compound: s.compound, Building: s.building})
		if err != nil {
			return fmt.Errorf("demo order %d: %w", i, err)
		}
		if i == 0 {
			firstNoise = v.ID
		}
		// Each action names the version it acts on: the one the
		// previous step returned (nothing else writes during the load).
		id, unit, version := v.ID, s.unit, v.Version
		do := func(a order.Actor, act order.Action, in order.Input) error {
			in.Version = &version
			w, err := svc.Act(ctx, a, id, act, in)
			if err != nil {
				return fmt.Errorf("demo order %d %s: %w", i, act, err)
			}
			version = w.Version
			return nil
		}
		yes := true
		for _, step := range s.steps {
			var err error
			switch step {
			case "dispatch":
				err = do(disp, order.ActDispatch, order.Input{Unit: unit, Note: "请按时限办理"})
			case "answer":
				err = do(opr, order.ActAnswer, order.Input{Reply: "湿垃圾投放时间为每天7:00-9:00和18:00-20:00。"})
			case "accept":
				err = do(handler(unit), order.ActAccept, order.Input{})
			case "contact":
				err = do(handler(unit), order.ActContact, order.Input{Note: "已电话联系市民，约定明天上午现场查看。"})
			case "reply":
				err = do(handler(unit), order.ActReply, order.Input{Result: "resolved", Text: "已现场查看并协调处理，问题已解决。"})
			case "reply_explained":
				err = do(handler(unit), order.ActReply, order.Input{Result: "explained", Text: "感谢市民的肯定，我们会继续做好服务。"})
			case "approve_reply":
				err = do(disp, order.ActApproveReply, order.Input{Note: "答复内容完整"})
			case "callback_ok":
				err = do(opr, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes, Note: "市民表示满意"})
			case "callback_bad":
				no := false
				err = do(opr, order.ActCallback, order.Input{Outcome: "dissatisfied", Resolved: &no, Note: "市民表示问题仍未解决"})
			case "reopen":
				err = do(disp, order.ActReopen, order.Input{Note: "市民不满意，重办"})
			case "close":
				err = do(disp, order.ActClose, order.Input{Note: "表扬件，已转达"})
			case "request_return":
				err = do(handler(unit), order.ActRequestReturn, order.Input{Reason: "不属于本单位职责，建议派城市管理办"})
			case "approve_return":
				err = do(disp, order.ActApproveReturn, order.Input{Note: "同意退回，另行派单"})
			case "invalidate":
				err = do(disp, order.ActInvalidate, order.Input{Reason: "无声电话"})
			case "merge_first":
				err = do(disp, order.ActMerge, order.Input{Into: firstNoise})
			case "urge":
				err = do(lead, order.ActUrge, order.Input{Note: "请加快处理"})
			case "supervise":
				err = do(lead, order.ActSupervise, order.Input{Note: "列入督办"})
			case "extension":
				err = do(handler(unit), order.ActRequestExtension, order.Input{Days: 5, Reason: "需要协调物业和两户居民共同维修"})
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
