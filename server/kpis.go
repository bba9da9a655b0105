package server

import (
	"context"
	"encoding/csv"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/kpi"
)

// KPISource answers the KPIs of [from, to) (whole hours) with a series
// per step (0: none); *store.DB is the one the product uses.
type KPISource interface {
	KPIs(ctx context.Context, from, to time.Time, step time.Duration) (*kpi.Report, error)
}

// kpiWindow is what GET /api/v1/kpis covers without from and to, and what
// the KPI metrics on /metrics cover.
const kpiWindow = 24 * time.Hour

// kpisConfigured fails the request when the server has no KPI source.
func (s *Server) kpisConfigured(c *gin.Context) bool {
	if s.KPIs == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "KPIs are not set up on this server."))
		return false
	}
	return true
}

// getKPIs serves GET /api/v1/kpis: JSON, or CSV when format=csv or the
// Accept header prefers text/csv (docs/kpis.md).
func (s *Server) getKPIs(c *gin.Context) {
	if !s.kpisConfigured(c) {
		return
	}
	from, to, step, asCSV, err := kpiQuery(c, time.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.KPIs.KPIs(c.Request.Context(), from, to, step)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !asCSV {
		c.JSON(http.StatusOK, rep)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="pickwave-kpis-`+from.Format("20060102T15")+`-`+to.Format("20060102T15")+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	writeKPICSV(w, rep)
	w.Flush()
	if err := w.Error(); err != nil {
		s.logger.Warn("write KPI CSV", "err", err)
	}
}

// kpiQuery reads from, to, step and format. from is rounded down and to
// up to whole hours; to defaults to now (rounded up) and from to a day
// before to.
func kpiQuery(c *gin.Context, now time.Time) (from, to time.Time, step time.Duration, asCSV bool, err error) {
	bad := func(field, reason string) error {
		return &pickwave.Error{Code: pickwave.EINVALID, Message: "Bad KPI query: " + field + " " + reason + ".",
			Details: []pickwave.FieldError{{Field: field, Reason: reason}}}
	}
	parse := func(field string) (time.Time, bool, error) {
		v := c.Query(field)
		if v == "" {
			return time.Time{}, false, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil || t.Year() < 2000 || t.Year() > 2199 {
			return time.Time{}, false, bad(field, "must be an RFC 3339 time between the years 2000 and 2199")
		}
		return t.UTC(), true, nil
	}
	to, haveTo, err := parse("to")
	if err != nil {
		return
	}
	if !haveTo {
		to = now.UTC()
	}
	if t := to.Truncate(time.Hour); !t.Equal(to) {
		to = t.Add(time.Hour)
	}
	from, haveFrom, err := parse("from")
	if err != nil {
		return
	}
	if !haveFrom {
		from = to.Add(-kpiWindow)
	}
	from = from.Truncate(time.Hour)
	if !to.After(from) {
		err = bad("to", "must be after from")
		return
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		err = bad("from", "must be at most five years before to")
		return
	}
	switch c.Query("step") {
	case "", "none":
	case "hour":
		step = time.Hour
	case "day":
		step = 24 * time.Hour
	default:
		err = bad("step", "must be hour, day or none")
		return
	}
	switch c.Query("format") {
	case "json":
	case "csv":
		asCSV = true
	case "":
		asCSV = prefersCSV(c.GetHeader("Accept"))
	default:
		err = bad("format", "must be json or csv")
	}
	return
}

// prefersCSV says whether an Accept header ranks text/csv above
// application/json (a tie goes to JSON).
func prefersCSV(accept string) bool {
	var csvQ, jsonQ float64 = -1, -1
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		switch mt {
		case "text/csv":
			csvQ = max(csvQ, q)
		case "application/json", "*/*", "application/*":
			jsonQ = max(jsonQ, q)
		}
	}
	return csvQ > 0 && csvQ > jsonQ
}

// kpiScalars are the figures of one range in CSV order, by their JSON
// names.
func kpiScalars(f *kpi.Figures) [][2]string {
	i := func(n int) string { return strconv.Itoa(n) }
	fl := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	p := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fl(*v)
	}
	p64 := func(v *int64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatInt(*v, 10)
	}
	return [][2]string{
		{"cycle_to_picked_orders", i(f.CycleToPicked.Orders)},
		{"cycle_to_picked_p50_s", p64(f.CycleToPicked.P50S)},
		{"cycle_to_picked_p90_s", p64(f.CycleToPicked.P90S)},
		{"cycle_to_shipped_orders", i(f.CycleToShipped.Orders)},
		{"cycle_to_shipped_p50_s", p64(f.CycleToShipped.P50S)},
		{"cycle_to_shipped_p90_s", p64(f.CycleToShipped.P90S)},
		{"pick_scans", i(f.PickScans)}, {"wrong_scans", i(f.WrongScans)},
		{"wrong_scan_rate", p(f.WrongScanRate)}, {"pick_accuracy", p(f.PickAccuracy)},
		{"pack_scans", i(f.PackScans)}, {"pack_mispicks", i(f.PackMispicks)}, {"pack_mispick_rate", p(f.PackMispickRate)},
		{"picks", i(f.Picks)}, {"short_picks", i(f.ShortPicks)}, {"short_pick_rate", p(f.ShortPickRate)},
		{"units", i(f.Units)}, {"units_short", i(f.UnitsShort)},
		{"active_hours", fl(f.ActiveHours)}, {"picks_per_hour", p(f.PicksPerHour)}, {"units_per_hour", p(f.UnitsPerHour)},
		{"shipped_due", i(f.ShippedDue)}, {"on_time", i(f.OnTime)}, {"on_time_rate", p(f.OnTimeRate)},
		{"walk_m", fl(f.WalkM)}, {"walk_units", i(f.WalkUnits)}, {"walk_per_unit_m", p(f.WalkPerUnitM)},
	}
}

// csvSafe keeps a name from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeKPICSV writes the report as rows of from, to, scope, figure,
// value: the range's figures (scope all), each picker's and each wave's,
// then each step of the series.
func writeKPICSV(w *csv.Writer, rep *kpi.Report) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	w.Write([]string{"from", "to", "scope", "figure", "value"})
	scalars := func(f *kpi.Figures) {
		for _, kv := range kpiScalars(f) {
			w.Write([]string{ts(f.From), ts(f.To), "all", kv[0], kv[1]})
		}
	}
	scalars(&rep.Figures)
	rates := func(kind string, list []kpi.Rate) {
		for _, r := range list {
			scope := csvSafe(kind + ":" + r.Name)
			for _, kv := range [][2]string{
				{"picks", strconv.Itoa(r.Picks)}, {"units", strconv.Itoa(r.Units)}, {"scans", strconv.Itoa(r.Scans)},
				{"active_hours", strconv.FormatFloat(r.ActiveHours, 'f', -1, 64)},
				{"picks_per_hour", optFloat(r.PicksPerHour)}, {"units_per_hour", optFloat(r.UnitsPerHour)},
			} {
				w.Write([]string{ts(rep.From), ts(rep.To), scope, kv[0], kv[1]})
			}
		}
	}
	rates("picker", rep.Pickers)
	rates("wave", rep.Waves)
	for i := range rep.Series {
		scalars(&rep.Series[i])
	}
}

func optFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// kpiCollector serves the KPIs of the last kpiWindow on /metrics: the
// figures GET /api/v1/kpis answers without parameters, read at each
// scrape.
type kpiCollector struct {
	src     KPISource
	log     *slog.Logger
	scalars map[string]*prometheus.Desc
	picker  map[string]*prometheus.Desc
	wave    map[string]*prometheus.Desc
	errs    *prometheus.Desc
}

func newKPICollector(src KPISource, log *slog.Logger) *kpiCollector {
	k := &kpiCollector{src: src, log: log, scalars: map[string]*prometheus.Desc{}, picker: map[string]*prometheus.Desc{}, wave: map[string]*prometheus.Desc{}}
	window := prometheus.Labels{"window": "24h"}
	for _, kv := range kpiScalars(&kpi.Figures{}) {
		k.scalars[kv[0]] = prometheus.NewDesc("pickwave_kpi_"+kv[0], "KPI "+kv[0]+" over the last 24 hours (docs/kpis.md); absent while it has no value.", nil, window)
	}
	for _, name := range []string{"picks", "units", "active_hours", "picks_per_hour", "units_per_hour"} {
		k.picker[name] = prometheus.NewDesc("pickwave_kpi_picker_"+name, "KPI "+name+" of each picker over the last 24 hours (docs/kpis.md).", []string{"picker"}, window)
		k.wave[name] = prometheus.NewDesc("pickwave_kpi_wave_"+name, "KPI "+name+" on each wave over the last 24 hours (docs/kpis.md).", []string{"wave"}, window)
	}
	k.errs = prometheus.NewDesc("pickwave_kpi_scrape_error", "1 when the KPIs could not be read for this scrape (the error is logged).", nil, nil)
	return k
}

func (k *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range []map[string]*prometheus.Desc{k.scalars, k.picker, k.wave} {
		for _, d := range m {
			ch <- d
		}
	}
	ch <- k.errs
}

func (k *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	to := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	rep, err := k.src.KPIs(ctx, to.Add(-kpiWindow), to, 0)
	if err != nil {
		k.log.Error("read KPIs for /metrics", "err", err)
		ch <- prometheus.MustNewConstMetric(k.errs, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(k.errs, prometheus.GaugeValue, 0)
	for _, kv := range kpiScalars(&rep.Figures) {
		if v, err := strconv.ParseFloat(kv[1], 64); err == nil {
			ch <- prometheus.MustNewConstMetric(k.scalars[kv[0]], prometheus.GaugeValue, v)
		}
	}
	rates := func(descs map[string]*prometheus.Desc, list []kpi.Rate) {
		for _, r := range list {
			vals := map[string]*float64{"picks_per_hour": r.PicksPerHour, "units_per_hour": r.UnitsPerHour}
			picks, units, active := float64(r.Picks), float64(r.Units), r.ActiveHours
			vals["picks"], vals["units"], vals["active_hours"] = &picks, &units, &active
			for name, v := range vals {
				if v != nil {
					ch <- prometheus.MustNewConstMetric(descs[name], prometheus.GaugeValue, *v, r.Name)
				}
			}
		}
	}
	rates(k.picker, rep.Pickers)
	rates(k.wave, rep.Waves)
}
