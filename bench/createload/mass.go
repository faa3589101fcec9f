package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// massCopy is the k-th call of one mass complaint: the same building site's
// night piling told a little differently by each caller (building, hour,
// what it does to them), as happens when one site keeps a whole
// neighbourhood awake. Every copy contains 打桩, the common word of the
// search phase.
func massCopy(k int64) (string, string) {
	hours := []string{"晚上十一点", "凌晨一点", "深夜十二点", "晚上十点半"}
	harm := []string{"孩子没法睡觉", "老人心脏不好受不了", "第二天还要上班", "已经连续一个星期了", "窗户关上也没用"}
	return "龙漕路工地夜间打桩噪音扰民",
		fmt.Sprintf("我住在龙漕路%d号楼，工地%s以后还在打桩，噪音很大，%s，要求核查夜间施工许可。",
			k%40+1, hours[k%int64(len(hours))], harm[(k/4)%int64(len(harm))])
}

// freshCall gives the calls of a complaint nobody has made before phase i:
// the mass complaint's shape and length, but other problems in other words
// (a word shared with the copies would make these pay for them too), and
// a problem of its own for each phase, so at most the copies that phase
// creates are stored when it runs. TestFreshCallsOwnWords keeps their
// words apart.
func freshCall(i int) func(k int64) (string, string) {
	f := freshCalls[i%len(freshCalls)]
	// Numbers of their own (101-140, 201-240 …): "12号" in two complaints
	// would be a word they share.
	n := int64(100 * (i%len(freshCalls) + 1))
	return func(k int64) (string, string) {
		return f.title, fmt.Sprintf(f.body, n+k%40+1, f.when[k%int64(len(f.when))], f.ask[(k/4)%int64(len(f.ask))])
	}
}

var freshCalls = []struct {
	title, body string
	when, ask   []string
}{
	{"宾阳路菜场门口窨井盖缺失", "宾阳路%d弄菜场门口的窨井盖%s不见了，只放了锥桶，%s，请市政部门尽快补上，免得出事。",
		[]string{"上周五", "前天傍晚", "昨天早上", "三天前"}, []string{"骑车的人差点摔倒", "小学生上学路过", "下雨天看不见", "锥桶被踢倒在路边"}},
	{"月河路人行道路灯不亮", "月河路%d号门前人行道的路灯%s开始不亮，整段路漆黑，%s，希望尽早派电工上门检修。",
		[]string{"元旦起", "上个月底", "这个礼拜", "台风过后"}, []string{"老年人散步看不清台阶", "有人被电瓶车撞到", "快递员找不到门牌", "女孩子下班回家害怕"}},
	{"三江小区垃圾箱房满溢", "三江小区%d号旁边的垃圾箱房%s没人清运，湿垃圾都堆到了外面，%s，请环卫所今天安排清理。",
		[]string{"国庆长假", "整整四天", "端午节前后", "最近两天"}, []string{"苍蝇蚊子很多", "流浪猫把袋子扯破", "臭味飘进楼里", "挡住了消防通道"}},
	{"龙华路楼道杂物堆放", "龙华路%d号三单元楼道里%s堆满纸箱旧家具，%s，物业提醒多次无效，请居委会出面协调清理。",
		[]string{"装修结束后", "搬家后", "春节前", "半年来"}, []string{"存在火灾隐患", "轮椅推不过去", "夜里绊倒过邻居", "电表箱被遮住"}},
	{"东安新村二次供水水质发黄", "东安新村%d号楼的自来水%s一打开就是黄的，%s，怀疑水箱很久没有清洗，请供水公司检测。",
		[]string{"周一一早", "停水恢复后", "这几天", "每天清晨"}, []string{"烧开后有沉淀", "小孩洗澡皮肤发痒", "只能买桶装水喝", "洗衣机滤网全是锈"}},
	{"田林东路共享单车乱停", "田林东路%d号地铁口%s停满共享单车，%s，盲道都被堵死，请运营企业派人清运并加强管理。",
		[]string{"每天上下班高峰", "周末", "阴雨天", "七点多"}, []string{"盲人走不了", "推婴儿车过不去", "公交站台被堵", "倒了一大片没人扶"}},
	{"漕溪北路商铺占道经营", "漕溪北路%d号水果店%s把货架摆到门前空地上，%s，城管来过一次又照旧，请执法队加强巡查。",
		[]string{"从早到晚", "节假日", "傍晚起", "最近一个月"}, []string{"行人只能走机动车道", "纸箱果皮扔一地", "消防栓被货架围着", "轮椅通不过"}},
	{"徐家汇公园流浪狗伤人", "徐家汇公园%d号门附近%s有几条流浪狗聚集，%s，请动物收容部门赶紧派人来处理，以免再伤人。",
		[]string{"清晨", "天黑后", "这两周", "双休日"}, []string{"咬伤过一位晨练的大爷", "追着学生跑", "翻垃圾桶吠叫", "小朋友不敢去玩"}},
	{"华泾路电梯经常困人", "华泾路%d号高层的电梯%s困人好几次，%s，维保单位敷衍了事，请特种设备部门上门检查整改。",
		[]string{"这个月", "高温天", "上周末", "晚高峰"}, []string{"有位阿姨被关了半小时", "按警铃没人应答", "楼层显示乱跳", "门关不严照样运行"}},
	{"长桥新村屋顶漏雨", "长桥新村%d号顶楼的屋面%s开始漏雨，%s，房管所报修后一直没人上门，请尽快安排师傅维修。",
		[]string{"梅雨季", "前几天暴雨", "入秋后", "台风过境时"}, []string{"天花板发霉掉灰", "墙上电线被淋湿", "床铺都湿透了", "要用脸盆接水"}},
	{"凌云路公交站台无遮挡", "凌云路%d号公交站%s拆掉了原来的雨棚一直没装新的，%s，希望交通部门早日恢复候车亭。",
		[]string{"道路施工时", "去年冬天", "两个月前", "改造完"}, []string{"等车淋雨晒太阳", "腿脚不便的站不住没地方坐", "站牌看不清", "夏天中暑的都有"}},
	{"虹梅路快递柜噪声", "虹梅路%d弄门口的快递柜%s风扇和提示音特别响，%s，请物业联系快递公司调低音量和风扇。",
		[]string{"通宵", "后半夜", "每隔几分钟", "换了新柜子后"}, []string{"一楼住户睡不着", "宝宝总被吵醒", "开着窗更明显", "投诉多次没反馈"}},
}

// rareWord is in the 30 orders the common word is measured beside.
const rareWord = "塌陷"

func rareCall(k int64) (string, string) {
	return "人行道地面塌陷", fmt.Sprintf("宾阳路%d号门口人行道地面塌陷了一块，行人容易踩空。", k%30+1)
}

// massRounds is how many rounds of each kind the mass-complaint phases
// run at each number of clients, each c.duration*2/massRounds long (two
// rounds of c.duration each before the eleventh round, docs/benchmarks.md):
// a busy spell of the shared machine, or of the database's own background
// work (SQLite's FTS5 merges, a WAL checkpoint), lasts seconds and fell
// whole on one kind's round; in more, shorter rounds, alternated A B B A,
// it falls on both.
const massRounds = 6

// massPhases stores c.mass copies of one complaint (and 30 orders with a
// rare word), then measures, in massRounds rounds A B B A … at 1 and at
// c.clients clients: creates of a complaint of the same shape that nobody
// has made before (A, a new one each round, so none of its copies are
// stored when it starts) and creates of more copies of the mass complaint
// (B), both on the database now holding the copies; B/A is the mass
// complaint's cost (target >= 0.9, issue 19). The corpus's varied texts are
// measured too, for reference (they are longer, so each costs more to
// segment), beside their rate before the copies were stored (none1,
// noneN). Then the first newest-first page of a search for 打桩 (in every
// copy) beside one for 塌陷 (in 30 orders), as a leader (no audit), A B A B.
func massPhases(ctx context.Context, base string, c config, meter cpuMeter, none1, noneN float64) error {
	varied := newClient(base, c)
	mass := newClient(base, c)
	mass.text = massCopy
	rare := newClient(base, c)
	rare.text = rareCall
	for _, cl := range []*client{varied, mass, rare} {
		if err := cl.login(ctx); err != nil {
			return err
		}
	}
	for range 30 {
		if _, err := rare.create(ctx); err != nil {
			return fmt.Errorf("rare-word order: %w", err)
		}
	}
	start := time.Now()
	stored, err := mass.store(ctx, c.mass, max(c.clients, 8))
	if err != nil {
		return fmt.Errorf("store the copies: %w", err)
	}
	el := time.Since(start)
	fmt.Printf("mass complaint: stored %d near-identical copies in %v (%.0f/s, %d clients)\n", stored, el.Round(time.Second),
		float64(stored)/el.Seconds(), max(c.clients, 8))
	fresh := newClient(base, c)
	fresh.token = mass.token
	if 2*massRounds > len(freshCalls) {
		return fmt.Errorf("%d rounds at two client counts need as many new complaints, there are %d", 2*massRounds, len(freshCalls))
	}
	round := c.duration * 2 / massRounds
	phase := 0
	for _, n := range []int{1, c.clients} {
		var sum, cpu [3]float64
		for r := range massRounds {
			kinds := []int{0, 1, 2} // A B, then the corpus
			if r%2 == 1 {
				kinds = []int{1, 0, 2} // B A
			}
			for _, i := range kinds {
				cl := []*client{fresh, mass, varied}[i]
				if i == 0 {
					fresh.text = freshCall(phase)
					phase++
				}
				stop, err := phaseProfile(c, [3]string{"new", "copies", "varied"}[i], n, r)
				if err != nil {
					return err
				}
				t0 := meter.now(ctx)
				res := cl.closedLoop(ctx, n, round)
				t1 := meter.now(ctx)
				stop()
				res.cpu = meter.line(t0, t1, len(res.lat))
				self, db := cpuPerOp(t0, t1, len(res.lat))
				cpu[i] += (self + db).Seconds()
				sum[i] += res.rate()
				what := [3]string{"a new complaint", "more copies    ", "varied texts   "}[i]
				fmt.Printf("create %s, %d client(s), round %d: %8.1f orders/s   %s\n", what, n, r+1, res.rate(), res.summary())
				if res.errors > 0 {
					return res.firstErr
				}
			}
		}
		none := none1
		if n != 1 {
			none = noneN
		}
		ratio := sum[1] / sum[0]
		// On a shared machine the rates swing with the neighbours; the CPU
		// each create took is steadier, so its ratio is printed beside.
		fmt.Printf("mass complaint, %d client(s): copies/new complaint rate %.3f (target >= 0.9: %s), CPU per create new/copies %.3f; varied texts now/before the copies (%.1f/s) %.3f\n\n",
			n, ratio, verdict(ratio >= 0.9), cpu[0]/cpu[1], none, sum[2]/massRounds/none)
	}

	leader := c
	leader.user = "leader"
	lc := newClient(base, leader)
	if err := lc.login(ctx); err != nil {
		return err
	}
	d := c.readDuration
	if d <= 0 {
		d = 5 * time.Second
	}
	for _, n := range []int{1, c.clients} {
		var sum [2]float64
		var p95 [2]time.Duration
		for round := range 2 {
			for i, w := range []string{"打桩", rareWord} {
				r, err := lc.searchLoop(ctx, w, n, d)
				if err != nil {
					return err
				}
				sum[i] += r.rate()
				p95[i] = max(p95[i], r.pct(95))
				fmt.Printf("search q=%s first page, %d client(s), round %d: %8.1f pages/s   %s\n", w, n, round+1, r.rate(), r.summary())
			}
		}
		fmt.Printf("common word, %d client(s): common/rare rate %.3f, p95 %v vs %v\n\n", n, sum[0]/sum[1],
			p95[0].Round(10*time.Microsecond), p95[1].Round(10*time.Microsecond))
	}
	return nil
}

// store creates n orders with clients concurrent clients as fast as they
// are answered; it returns how many were created.
func (c *client) store(ctx context.Context, n, clients int) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int
		first error
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				if done >= n || first != nil {
					mu.Unlock()
					return
				}
				done++
				mu.Unlock()
				if _, err := c.create(ctx); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return done, first
}

// searchLoop runs n clients asking for the first page of the newest orders
// containing word for d; a page counts when it is a 200 holding orders.
func (c *client) searchLoop(ctx context.Context, word string, n int, d time.Duration) (*result, error) {
	r := &result{}
	path := "/api/v1/orders?limit=20&q=" + url.QueryEscape(word)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				st, data, err := c.get(ctx, path)
				if err == nil && (st != 200 || !strings.Contains(string(data), `"number"`)) {
					err = fmt.Errorf("search %s: status %d: %.200s", word, st, data)
				}
				r.add(time.Since(t), err)
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	if r.errors > 0 {
		return r, r.firstErr
	}
	return r, nil
}
