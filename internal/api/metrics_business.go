package api

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hotline/internal/service"
	"hotline/internal/store"
)

// business is the collector of the business figures (issue 18 point 10):
// open orders by status and overdue orders by unit, counted from the
// database at scrape time, and the sweeper's runs of this process. The
// counters fed by events (notifications, group-commit batches) are plain
// metrics registered beside it.
type business struct {
	svc                                 *service.Service
	open, overdue, runs, lag, last, bad *prometheus.Desc
}

func newBusiness(svc *service.Service) *business {
	return &business{svc: svc,
		open:    prometheus.NewDesc("hotline_orders_open", "Open orders by status, counted at scrape time.", []string{"status"}, nil),
		overdue: prometheus.NewDesc("hotline_orders_overdue", "Open orders past a deadline of their current step, by the unit holding them (\"\" for none).", []string{"unit"}, nil),
		runs:    prometheus.NewDesc("hotline_sweeper_runs_total", "Deadline sweeper runs of this process by result.", []string{"result"}, nil),
		lag:     prometheus.NewDesc("hotline_sweeper_lag_seconds", "Seconds since this process's last successful sweep ended: how late a due or overdue notice may be.", nil, nil),
		last:    prometheus.NewDesc("hotline_sweeper_last_run_seconds", "How long the last sweep took.", nil, nil),
		bad:     prometheus.NewDesc("hotline_business_scrape_error", "1 when the business figures could not be read at this scrape.", nil, nil),
	}
}

func (b *business) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{b.open, b.overdue, b.runs, b.lag, b.last, b.bad} {
		ch <- d
	}
}

// Collect reads the figures with a deadline of its own, so a slow database
// delays a scrape by at most 5 seconds and never fails the Go and HTTP
// metrics beside it.
func (b *business) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := b.svc.BusinessFigures(ctx)
	failed := 0.0
	if err != nil {
		failed = 1
	} else {
		for st, n := range f.OpenByStatus {
			ch <- prometheus.MustNewConstMetric(b.open, prometheus.GaugeValue, float64(n), string(st))
		}
		for u, n := range f.OverdueByUnit {
			ch <- prometheus.MustNewConstMetric(b.overdue, prometheus.GaugeValue, float64(n), u)
		}
	}
	ch <- prometheus.MustNewConstMetric(b.bad, prometheus.GaugeValue, failed)
	sw := f.Sweeps
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(b.runs, prometheus.CounterValue, float64(sw.OK), "ok")
	ch <- prometheus.MustNewConstMetric(b.runs, prometheus.CounterValue, float64(sw.Failed), "error")
	if !sw.LastOK.IsZero() {
		ch <- prometheus.MustNewConstMetric(b.lag, prometheus.GaugeValue, time.Since(sw.LastOK).Seconds())
		ch <- prometheus.MustNewConstMetric(b.last, prometheus.GaugeValue, sw.LastRun.Seconds())
	}
}

// registerBusiness adds the business figures and the store's event
// counters to the registry and connects the store to them.
func (a *API) registerBusiness(svc *service.Service) {
	notes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_notifications_sent_total", Help: "Notifications stored by kind (duplicates refused by their unique key are not counted)."}, []string{"kind"})
	batches := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hotline_group_commit_batch_size", Help: "Creates and audited views committed together by one group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}})
	a.registry.MustRegister(newBusiness(svc), notes, batches)
	svc.SetObserver(store.Observer{
		Batch:  func(n int) { batches.Observe(float64(n)) },
		Notify: func(kind string) { notes.WithLabelValues(kind).Inc() },
	})
}

// ObservePage counts a web page's request in the same series as the API's
// routes (hotline_http_requests_total, hotline_http_request_seconds), the
// route named by its pattern ("web GET /orders/{id}"), so the pages staff
// use all day are measured too.
func (a *API) ObservePage(pattern string, code int, d time.Duration) {
	name := "web " + pattern
	a.requests.WithLabelValues(name, codeClass(code)).Inc()
	a.latency.WithLabelValues(name).Observe(d.Seconds())
}

func codeClass(code int) string {
	return []string{"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"}[min(max(code/100, 0), 5)]
}
