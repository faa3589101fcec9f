package gen

import "hotline/internal/order"

// The demo's texts, written for it (no real order's words): what residents
// of an old Shanghai subdistrict call 12345 about, by season. Slots: {p}
// the place (compound and building, or road and number), {c} the compound
// (or road), {b} the building, {r} a road, {n} a house number, {s} a shop,
// {d} a number of days, {u} the unit handling it, {who} a person in it.

type season int

const (
	seasonAll     season = iota
	seasonSummer         // June–September
	seasonWinter         // December–February
	seasonSpring         // March–May
	seasonTyphoon        // the typhoon week, and storms in summer
	seasonRecent         // the last two months (the building site)
)

// theme is one kind of call: its category, type, season, weight among the
// others and how people word it (title and description). A text that names
// a road ({r}) happens on it; the others in a compound.
type theme struct {
	cat     string
	typ     order.Type
	season  season
	weight  float64
	unit    string  // "" the category's unit; "committee" the compound's committee
	urgent  float64 // share marked urgent
	texts   [][2]string
	replies []string // the handler's answer when resolved; nil: the common ones
}

var demoThemes = []theme{
	{cat: "environment.noise", typ: order.Complaint, season: seasonAll, weight: 5, texts: [][2]string{
		{"夜间施工噪音扰民", "{p}附近的工地晚上十点以后还在施工，机器声音很响，家里老人孩子都睡不好，希望管一管。"},
		{"{c}旁道路夜间开挖", "{c}旁边道路开挖，夜里一两点还有破碎锤的声音，已经持续{d}天了。"},
		{"管道工程夜间施工", "{r}{n}号附近的管道工程每天夜里施工，噪音扰民，请核实有没有夜间施工许可。"}},
		replies: []string{"已联系施工单位，要求22点后停止高噪音作业，城管队员夜间巡查。", "经核实该工地无夜间施工许可，已责令停工整改。"}},
	{cat: "environment.noise", typ: order.Complaint, season: seasonSummer, weight: 7, unit: "committee", texts: [][2]string{
		{"广场舞音响声音太大", "{c}中心绿地每天晚上七点到九点跳广场舞，音响开得很大，{b}的居民窗户都不敢开。"},
		{"楼下空调外机噪音", "{p}楼下邻居新装的空调外机正对我家卧室，夜里嗡嗡响，沟通过没有用。"},
		{"{c}夜间有人聚集喧哗", "夏天晚上{c}的凉亭里有人打牌喝酒到半夜，声音很大，影响休息。"}},
		replies: []string{"居委会已与相关居民沟通，音量调低、时间提前，居民认可。", "已上门协调，邻居同意加装减震垫并调整外机朝向。"}},
	{cat: "environment.dust", typ: order.Complaint, season: seasonSpring, weight: 3, texts: [][2]string{
		{"工地扬尘严重", "{r}上的工地没有覆盖防尘网，刮风时灰很大，附近居民晾的衣服都脏了。"},
		{"渣土车带泥上路", "渣土车从{r}{n}号工地出来没有冲洗，路面全是泥，下雨天更滑。"}}},
	{cat: "environment.fumes", typ: order.Complaint, season: seasonAll, weight: 3, texts: [][2]string{
		{"楼下饭店油烟直排", "{p}底层的{s}油烟没有经过净化直接排放，楼上住户窗户打不开。"},
		{"{s}油烟扰民", "{r}{n}号新开的{s}排烟管对着居民楼，每天中午晚上油烟很重。"}},
		replies: []string{"已督促店家安装油烟净化器并改造排烟管道，复查达标。"}},
	{cat: "property.management", typ: order.Complaint, season: seasonAll, weight: 6, texts: [][2]string{
		{"电梯经常故障", "{p}的电梯这个月已经坏了{d}次，老人上下楼很困难，物业一直说在等配件。"},
		{"楼道灯坏了没人修", "{p}三楼到五楼的楼道灯坏了很久，晚上上下楼要打手电，报修给物业没有下文。"},
		{"小区门禁损坏", "{c}北门的门禁坏了，外来人员随便进出，物业说要业委会同意才能修。"},
		{"物业保洁不到位", "{c}物业保洁一周才打扫一次楼道，垃圾堆在楼梯口有异味。"}},
		replies: []string{"已督促物业限期整改，物业已完成维修并加强日常巡查。"}},
	{cat: "property.management", typ: order.Complaint, season: seasonSummer, weight: 4, unit: "committee", texts: [][2]string{
		{"楼上空调滴水", "{p}楼上住户的空调外机没有接冷凝水管，水一直滴在我家雨棚上，白天晚上滴答响。"},
		{"空调冷凝水滴到阳台", "夏天{p}好几户空调滴水滴到楼下晾衣架上，楼下居民意见很大。"}},
		replies: []string{"居委会上门协调，楼上住户已加装冷凝水管引入雨水管。"}},
	{cat: "property.illegal_building", typ: order.Report, season: seasonAll, weight: 2, texts: [][2]string{
		{"违章搭建阳光房", "{p}顶楼住户在屋顶搭建阳光房，影响房屋安全，楼下已经渗水。"},
		{"底楼违规圈地搭建", "{c}一楼住户把院子围起来加盖了一间房，占用了公共通道。"}}},
	{cat: "property.group_rental", typ: order.Report, season: seasonAll, weight: 2, unit: "committee", texts: [][2]string{
		{"群租房人员复杂", "{p}有一套房子隔成了好几间出租，住了十多个人，进出频繁，楼道里堆满电动车。"},
		{"疑似群租隔断", "{p}最近有人在装修隔断，怀疑要做群租，请核实。"}}},
	{cat: "sanitation.garbage_sorting", typ: order.Complaint, season: seasonSummer, weight: 3, unit: "committee", texts: [][2]string{
		{"垃圾房满溢有异味", "天热了，{c}垃圾房的湿垃圾桶满了没人清运，苍蝇很多，味道很大。"},
		{"湿垃圾清运不及时", "{p}旁边的垃圾箱房下午就满了，垃圾堆在地上，希望增加清运次数。"}}},
	{cat: "sanitation.garbage_sorting", typ: order.Consultation, season: seasonAll, weight: 2, texts: [][2]string{
		{"咨询垃圾分类投放时间", "请问{c}的湿垃圾定时投放是几点到几点？错过了时间扔到哪里？"},
		{"咨询大件垃圾怎么处理", "家里有旧沙发和床垫要扔，{c}的大件垃圾要怎么预约清运？"}}},
	{cat: "sanitation.construction_waste", typ: order.Complaint, season: seasonAll, weight: 2, texts: [][2]string{
		{"装修垃圾堆在楼道口", "{p}有住户装修，装修垃圾袋堆在楼道口一个星期了，挡住了消防通道。"},
		{"建筑垃圾乱堆放", "{c}围墙边堆了很多建筑垃圾，没有覆盖，起风时尘土飞扬。"}}},
	{cat: "sanitation", typ: order.Complaint, season: seasonSpring, weight: 3, texts: [][2]string{
		{"行道树需要修剪", "{r}{n}号门口的行道树长得太密，树枝碰到电线，刮风很危险，希望修剪。"},
		{"绿化带杂草丛生", "开春后{c}的绿化带杂草长得很高，还有蚊虫，请安排养护。"},
		{"树枝遮挡窗户", "{p}窗前的香樟树枝伸到阳台里，家里白天也要开灯，希望修剪一下。"}},
		replies: []string{"绿化市容所已安排养护队修剪树枝，清理了绿化带。"}},
	{cat: "facilities.street_light", typ: order.Report, season: seasonAll, weight: 3, texts: [][2]string{
		{"路灯不亮", "{r}{n}号附近有{d}盏路灯晚上不亮，路很黑，老人走路不安全。"},
		{"小区门口路灯坏了", "{c}南门口的路灯坏了一个多星期，晚上进出看不清路。"}},
		replies: []string{"路灯养护单位已更换灯具，恢复照明。"}},
	{cat: "facilities.manhole", typ: order.Report, season: seasonAll, weight: 1.5, urgent: 0.4, texts: [][2]string{
		{"窨井盖缺失", "{r}{n}号门口人行道上的窨井盖不见了，只放了一个路障，很危险。"},
		{"窨井盖松动有响声", "{r}近{n}号的窨井盖松了，车开过去哐哐响，晚上特别吵。"}},
		replies: []string{"已通知权属单位当天补装井盖并设置警示。"}},
	{cat: "facilities.parking", typ: order.Complaint, season: seasonAll, weight: 4, texts: [][2]string{
		{"车辆乱停占用消防通道", "{p}门口每天晚上都有车停在消防通道上，救护车进不来。"},
		{"非机动车乱停放", "{r}{n}号门口人行道上停满了共享单车和电动车，行人只能走到马路上。"},
		{"外来车辆占用车位", "{c}里外来车辆越来越多，居民晚上回来没有车位。"}}},
	{cat: "utilities.water", typ: order.Complaint, season: seasonAll, weight: 3, urgent: 0.3, texts: [][2]string{
		{"小区突然停水", "{p}从早上开始停水，没有接到任何通知，家里老人做饭都成问题。"},
		{"自来水发黄", "{c}这两天自来水放出来是黄的，放了很久才清。"},
		{"水压太低", "{p}高层水压很低，洗澡水都上不来。"}}},
	{cat: "utilities.water", typ: order.Help, season: seasonWinter, weight: 3, urgent: 0.3, texts: [][2]string{
		{"寒潮水管冻裂", "这几天寒潮，{p}外墙的水管冻裂了，水一直往下漏，楼道结冰很滑。"},
		{"水表冻坏漏水", "{p}的水表箱冻坏了，水表在漏水，请尽快来修。"}},
		replies: []string{"供水抢修已更换冻裂管段并做了保温包扎。"}},
	{cat: "utilities.power", typ: order.Help, season: seasonWinter, weight: 2.5, urgent: 0.3, texts: [][2]string{
		{"取暖用电跳闸", "天冷大家都开电暖器和空调，{p}晚上总闸跳了{d}次，老人家里很冷。"},
		{"天冷电压不稳", "{c}一到晚上电压就不稳，电热毯和取暖器用不了，请供电部门查一查。"}},
		replies: []string{"供电公司已对楼栋进线增容，更换老化开关。"}},
	{cat: "utilities.power", typ: order.Complaint, season: seasonSummer, weight: 2, urgent: 0.3, texts: [][2]string{
		{"高温天停电", "高温天{p}突然停电，家里有老人，热得受不了。"},
		{"空调一开就跳闸", "{p}用电高峰时整栋楼跳闸，住户空调都开不了。"}}},
	{cat: "utilities.gas", typ: order.Help, season: seasonWinter, weight: 2, urgent: 0.5, texts: [][2]string{
		{"燃气压力低", "冬天用气多，{p}燃气灶火很小，热水器都打不着。"},
		{"楼道里有煤气味", "{p}楼道里闻到煤气味，担心漏气，请尽快来检查。"}},
		replies: []string{"燃气公司已上门检测，更换了老化的调压阀。"}},
	{cat: "community.neighbour_dispute", typ: order.Complaint, season: seasonAll, weight: 3, unit: "committee", texts: [][2]string{
		{"楼上漏水到我家", "{p}楼上卫生间漏水渗到我家天花板，沟通多次楼上不肯修。"},
		{"邻居杂物堆放楼道", "{p}对门邻居把杂物、纸板堆满了楼道，有消防隐患，说了也不听。"},
		{"邻居养狗扰民", "{p}有住户养了两条大狗，每天叫，遛狗也不牵绳。"}},
		replies: []string{"居委会组织双方调解，已达成一致，问题已解决。"}},
	{cat: "community.elderly_care", typ: order.Help, season: seasonAll, weight: 2.5, unit: "committee", texts: [][2]string{
		{"独居老人需要助餐服务", "{p}一位独居老人行动不便，家属不在上海，希望社区帮助联系助餐。"},
		{"高龄老人申请居家照护", "我父亲今年九十岁了，住在{p}，想了解居家照护怎么申请。"},
		{"咨询长者食堂", "请问{c}附近的长者食堂在哪里，老人一个人吃饭不方便。"}},
		replies: []string{"社工已上门了解情况，已为老人办理相关服务。"}},
	{cat: "community.flooding", typ: order.Report, season: seasonTyphoon, weight: 2, urgent: 0.6, texts: [][2]string{
		{"暴雨积水严重", "台风暴雨，{p}门口积水已经没过脚踝，一楼住户家里开始进水。"},
		{"地下车库进水", "{c}地下车库入口在进水，车还停在里面，请快点派人来抽水。"},
		{"楼道进水", "雨太大了，{p}的底楼楼道进水，电表箱快淹到了。"},
		{"小区排水不畅", "{c}的排水管堵了，雨水排不出去，{p}门口一片汪洋。"}},
		replies: []string{"已调派泵车抽排积水，疏通雨水管，一楼住户已转移安置。", "积水已排除，已对排水管网进行清淤。"}},
	{cat: "community.flooding", typ: order.Report, season: seasonTyphoon, weight: 1, urgent: 0.5, texts: [][2]string{
		{"道路积水", "{r}{n}号附近路段积水很深，有车熄火停在路中间。"},
		{"下立交积水", "暴雨后{r}的下立交积水，行人过不去。"}}},
	{cat: "environment.noise", typ: order.Complaint, season: seasonRecent, weight: 2.5, texts: [][2]string{
		{"三江小区旁工地夜间打桩", "{c}旁边的租赁住房工地晚上还在打桩，{p}的居民整夜睡不着。"},
		{"工地夜间施工噪音又来了", "{c}隔壁工地半夜施工，噪音很大，上次反映后停了几天又开始了。"}}},
	{cat: "environment.dust", typ: order.Complaint, season: seasonRecent, weight: 1, texts: [][2]string{
		{"工地扬尘飘进小区", "{c}旁工地土方作业，灰尘飘进小区，{p}阳台上一层灰。"}}},
	{cat: "community", typ: order.Suggestion, season: seasonAll, weight: 1.5, unit: "committee", texts: [][2]string{
		{"建议增设电动自行车充电桩", "{c}电动自行车很多，建议在{p}附近增设集中充电桩，避免飞线充电。"},
		{"建议加装电梯", "{p}老人多，希望推进加装电梯，居民大多数同意。"},
		{"建议增加休息座椅", "{c}中心花园没有座椅，老人散步走累了没地方坐，建议增加几张。"}}},
	{cat: "community.praise", typ: order.Praise, season: seasonAll, weight: 1.2, unit: "committee", texts: [][2]string{
		{"表扬{u}{who}", "感谢{u}的{who}上门帮我家老人办理助餐，服务很贴心。"},
		{"表扬{u}{who}", "台风那几天{u}的{who}挨家挨户检查，帮我们把东西搬到楼上，特别感谢。"},
		{"感谢{u}{who}", "我反映的楼道漏水问题{u}的{who}跑了好几趟协调解决了，想表扬一下。"}}},
}

var (
	demoShops  = []string{"面馆", "烧烤店", "小饭店", "火锅店", "快餐店", "炸鸡店"}
	demoTitles = []string{"书记", "主任", "社工", "师傅", "老师"}

	demoContacts = []string{"已电话联系市民，约定明天上午现场查看。", "已与市民电话沟通，了解具体情况。",
		"已联系市民，当天下午到现场核实。", "市民电话未接通，已发短信告知，稍后再联系。"}
	demoReplies = map[string][]string{
		"resolved":        {"已现场查看并协调处理，问题已解决。", "经现场核实已整改完毕，已告知市民。", "已协调相关单位处理完毕，市民认可。"},
		"partly_resolved": {"已部分整改，剩余问题需协调产权单位，已列入计划。", "已临时处理，彻底解决需维修资金，正在走程序。"},
		"explained":       {"已向市民解释相关政策，市民表示理解。"},
	}
	demoPraiseReplies = []string{"感谢市民的肯定，已转达本人，我们会继续做好服务。"}
	demoAnswers       = []string{"已向市民说明：湿垃圾投放时间为每天7:00-9:00和18:00-20:00。", "已告知市民大件垃圾可通过居委会预约，每周三统一清运。",
		"已告知市民就近的长者食堂地址和开放时间。", "已答复政策，市民无其他诉求。"}
)
