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
// creates are stored when it runs.
func freshCall(i int) func(k int64) (string, string) {
	f := freshCalls[i%len(freshCalls)]
	return func(k int64) (string, string) {
		return f.title, fmt.Sprintf(f.body, k%40+1, f.when[k%int64(len(f.when))], f.ask[(k/4)%int64(len(f.ask))])
	}
}

var freshCalls = []struct {
	title, body string
	when, ask   []string
}{
	{"宾阳路菜场门口窨井盖缺失", "宾阳路%d弄菜场门口的窨井盖%s不见了，只放了一个锥桶，%s，请市政部门尽快补上。",
		[]string{"上周五", "前天傍晚", "昨天早上", "三天前"}, []string{"骑车的人差点摔倒", "小学生上学路过", "下雨天看不见", "锥桶已经被踢倒"}},
	{"月河路人行道路灯不亮", "月河路%d号门前人行道的路灯%s开始不亮，整段路漆黑，%s，希望派电工检修。",
		[]string{"元旦以后", "上个月底", "这个礼拜", "台风过后"}, []string{"老年人散步看不清台阶", "有人被电瓶车撞到", "快递员找不到门牌", "女孩子下班回家害怕"}},
	{"三江小区垃圾箱房满溢", "三江小区%d号旁边的垃圾箱房%s没人清运，湿垃圾堆到外面，%s，请环卫所安排清理。",
		[]string{"国庆长假", "连续四天", "端午节前后", "最近两天"}, []string{"苍蝇蚊子很多", "流浪猫把袋子扯破", "臭味飘进楼里", "挡住了消防通道"}},
	{"龙华路楼道杂物堆放", "龙华路%d号三单元楼道里%s堆满纸箱旧家具，%s，物业提醒多次无效，请居委协调清理。",
		[]string{"装修结束后", "搬家以后", "春节前", "半年来"}, []string{"存在火灾隐患", "轮椅推不过去", "晚上绊倒过邻居", "电表箱被挡住"}},
}

// rareWord is in the 30 orders the common word is measured beside.
const rareWord = "塌陷"

func rareCall(k int64) (string, string) {
	return "人行道地面塌陷", fmt.Sprintf("宾阳路%d号门口人行道地面塌陷了一块，行人容易踩空。", k%30+1)
}

// massPhases stores c.mass copies of one complaint (and 30 orders with a
// rare word), then measures, A B A B at 1 and at c.clients clients:
// creates of a complaint of the same shape that nobody has made before (A,
// a new one each phase, so none of its copies are stored when it starts)
// and creates of more copies of the mass complaint (B), both on the
// database now holding the copies; B/A is the mass complaint's cost (target
// >= 0.9, issue 19). The corpus's varied texts are measured too, for
// reference (they are longer, so each costs more to segment), beside their
// rate before the copies were stored (none1, noneN). Then the first newest-first page
// of a search for 打桩 (in every copy) beside one for 塌陷 (in 30 orders),
// as a leader (no audit), A B A B.
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
	phase := 0
	for _, n := range []int{1, c.clients} {
		var sum, cpu [3]float64
		for round := range 2 { // A B A B, then the corpus
			for i, cl := range []*client{fresh, mass, varied} {
				if i == 0 {
					fresh.text = freshCall(phase)
					phase++
				}
				stop, err := phaseProfile(c, [3]string{"new", "copies", "varied"}[i], n, round)
				if err != nil {
					return err
				}
				t0 := meter.now(ctx)
				r := cl.closedLoop(ctx, n, c.duration)
				t1 := meter.now(ctx)
				stop()
				r.cpu = meter.line(t0, t1, len(r.lat))
				self, db := cpuPerOp(t0, t1, len(r.lat))
				cpu[i] += (self + db).Seconds()
				sum[i] += r.rate()
				what := [3]string{"a new complaint", "more copies    ", "varied texts   "}[i]
				fmt.Printf("create %s, %d client(s), round %d: %8.1f orders/s   %s\n", what, n, round+1, r.rate(), r.summary())
				if r.errors > 0 {
					return r.firstErr
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
			n, ratio, verdict(ratio >= 0.9), cpu[0]/cpu[1], none, sum[2]/2/none)
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
