package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/service"
)

// The hotspot map (compounds drawn as SVG from their GeoJSON outlines on the
// server: no map tiles, no JavaScript needed, every point a link to its
// order) and the hotspot clusters of the text intelligence: their list, and
// the dispatcher's "merge into one case".

// svgMap is a map drawn in a W×H viewBox.
type svgMap struct {
	W, H      float64
	Compounds []svgCompound
	Points    []svgPoint
	Clusters  []svgCluster
	Empty     bool
}

type svgCompound struct {
	Code, Name, Committee string
	Orders                int
	Heat                  int      // 0 (none) … 4 (the most orders)
	Polys                 []string // SVG polygon points
	LX, LY                float64  // label position
}

type svgPoint struct {
	X, Y                         float64
	ID, Number, Status, Category string
	Open, Approx                 bool
}

type svgCluster struct {
	X, Y, R    float64
	ID, Label  string
	Size, Open int
	Heat       float64
	N          int     // the cluster's place in the hotspot list (1, 2 …)
	DY         float64 // the label's offset below the centre
}

type lngLat = [2]float64

// outlineRings reads the rings of a GeoJSON geometry, feature or feature
// collection (Polygon and MultiPolygon; anything else is ignored).
func outlineRings(raw json.RawMessage) [][]lngLat {
	var g struct {
		Type        string            `json:"type"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometry    json.RawMessage   `json:"geometry"`
		Features    []json.RawMessage `json:"features"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &g) != nil {
		return nil
	}
	switch g.Type {
	case "Feature":
		return outlineRings(g.Geometry)
	case "FeatureCollection":
		var out [][]lngLat
		for _, f := range g.Features {
			out = append(out, outlineRings(f)...)
		}
		return out
	case "Polygon":
		var rs [][]lngLat
		if json.Unmarshal(g.Coordinates, &rs) == nil {
			return rs
		}
	case "MultiPolygon":
		var ps [][][]lngLat
		if json.Unmarshal(g.Coordinates, &ps) == nil {
			var out [][]lngLat
			for _, p := range ps {
				out = append(out, p...)
			}
			return out
		}
	}
	return nil
}

// drawMap projects the compounds, points and clusters of a map view onto
// an SVG plane (equirectangular, scaled by the cosine of the latitude:
// exact enough for a subdistrict).
func drawMap(mv dashboard.MapView, hs []service.Hotspot, maxW, maxH float64) svgMap {
	type comp struct {
		c     dashboard.MapCompound
		rings [][]lngLat
	}
	var comps []comp
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(lng, lat float64) {
		minX, maxX = math.Min(minX, lng), math.Max(maxX, lng)
		minY, maxY = math.Min(minY, lat), math.Max(maxY, lat)
	}
	for _, c := range mv.Compounds {
		x := comp{c: c, rings: outlineRings(c.Outline)}
		for _, r := range x.rings {
			for _, pt := range r {
				grow(pt[0], pt[1])
			}
		}
		if c.Lat != nil && c.Lng != nil {
			grow(*c.Lng, *c.Lat)
		}
		comps = append(comps, x)
	}
	for _, p := range mv.Points {
		grow(p.Lng, p.Lat)
	}
	m := svgMap{W: maxW, H: maxH}
	if math.IsInf(minX, 0) {
		m.Empty = true
		return m
	}
	const minSpan = 0.002
	if maxX-minX < minSpan {
		c := (maxX + minX) / 2
		minX, maxX = c-minSpan/2, c+minSpan/2
	}
	if maxY-minY < minSpan {
		c := (maxY + minY) / 2
		minY, maxY = c-minSpan/2, c+minSpan/2
	}
	padX, padY := (maxX-minX)*0.08, (maxY-minY)*0.1
	minX, maxX, minY, maxY = minX-padX, maxX+padX, minY-padY, maxY+padY
	cosLat := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	ux, uy := (maxX-minX)*cosLat, maxY-minY
	k := math.Min(maxW/ux, maxH/uy)
	m.W, m.H = math.Round(ux*k), math.Round(uy*k)
	proj := func(lng, lat float64) (float64, float64) {
		return math.Round((lng-minX)*cosLat*k*10) / 10, math.Round((maxY-lat)*k*10) / 10
	}
	most := 0
	for _, c := range comps {
		most = max(most, c.c.Orders)
	}
	centre := map[string][2]float64{}
	for _, c := range comps {
		sc := svgCompound{Code: c.c.Code, Name: c.c.Name, Committee: c.c.Committee, Orders: c.c.Orders}
		if most > 0 && sc.Orders > 0 {
			sc.Heat = 1 + min(3, sc.Orders*4/(most+1))
		}
		var sx, sy float64
		var n int
		for _, r := range c.rings {
			var b strings.Builder
			for i, pt := range r {
				x, y := proj(pt[0], pt[1])
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%g,%g", x, y)
				sx, sy, n = sx+x, sy+y, n+1
			}
			sc.Polys = append(sc.Polys, b.String())
		}
		switch {
		case c.c.Lat != nil && c.c.Lng != nil:
			sc.LX, sc.LY = proj(*c.c.Lng, *c.c.Lat)
		case n > 0:
			sc.LX, sc.LY = sx/float64(n), sy/float64(n)
		default:
			continue
		}
		centre[c.c.Code] = [2]float64{sc.LX, sc.LY}
		centre["name:"+c.c.Name] = [2]float64{sc.LX, sc.LY}
		m.Compounds = append(m.Compounds, sc)
	}
	// Orders placed at their compound's centroid are spread on a small
	// spiral around it, so a busy compound reads as a dense patch.
	spread := map[string]int{}
	at := map[string][2]float64{}
	for _, p := range mv.Points {
		x, y := proj(p.Lng, p.Lat)
		at[p.ID] = [2]float64{x, y}
		if p.Approximate {
			i := spread[p.Compound] + 1
			spread[p.Compound] = i
			r, a := 3.2*math.Sqrt(float64(i)), float64(i)*2.39996
			x, y = math.Round((x+r*math.Cos(a))*10)/10, math.Round((y+r*math.Sin(a))*10)/10
		}
		m.Points = append(m.Points, svgPoint{X: x, Y: y, ID: p.ID, Number: p.Number, Status: p.Status, Category: p.Category,
			Open: order.Status(p.Status).Open(), Approx: p.Approximate})
	}
	for hi, h := range hs {
		var sx, sy float64
		var n int
		for _, id := range h.Members {
			if xy, ok := at[id]; ok {
				sx, sy, n = sx+xy[0], sy+xy[1], n+1
			}
		}
		if n == 0 {
			for _, c := range m.Compounds {
				if c.Name != "" && (strings.Contains(h.Place, c.Name) || strings.Contains(h.Label, c.Name)) {
					sx, sy, n = c.LX, c.LY, 1
					break
				}
			}
		}
		if n == 0 {
			continue
		}
		r := math.Round(10 + 4*math.Sqrt(float64(h.Size)))
		m.Clusters = append(m.Clusters, svgCluster{X: math.Round(sx / float64(n)), Y: math.Round(sy / float64(n)),
			R: r, DY: r + 13, N: hi + 1, ID: h.ID, Label: h.Label, Size: h.Size, Open: h.Open, Heat: h.Heat})
	}
	return m
}

// mapView is the hotspot map page.
type mapView struct {
	F        dashFilter
	M        dashboard.MapView
	SVG      svgMap
	Hotspots []service.Hotspot
	HotOff   bool
	Points   []dashboard.MapPoint // the first ones, for the table
}

func (w *Web) dashMap(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("dash.map.title")
	ctx := r.Context()
	f, err := w.dashFilterOf(p, "/dashboard/map")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	mv, err := w.dash.Map(ctx, p.Actor, f.From, f.To, f.Unit, f.Category)
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	if f.Cats, err = w.svc.Categories(ctx); err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	f.Presets = p.presets(f, mv.Period.From, mv.Period.To)
	v := mapView{F: f, M: mv}
	if p.User.Role != order.RoleHandler {
		v.Hotspots, v.HotOff = w.hotspotsOf(ctx, p, 10)
	}
	v.SVG = drawMap(mv, v.Hotspots, 1000, 620)
	v.Points = mv.Points
	if len(v.Points) > 200 {
		v.Points = v.Points[:200]
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "dashboard_map")
}

// hotspotsView is the hotspots page.
type hotspotsView struct {
	Hotspots []service.Hotspot
	Off      bool
}

func (w *Web) hotspots(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("hot.title")
	var v hotspotsView
	v.Hotspots, v.Off = w.hotspotsOf(r.Context(), p, 50)
	p.Data = v
	w.render(rw, p, http.StatusOK, "hotspots")
}

// hotspotCase turns a hotspot into one proactive case (dispatchers): a
// patrol-source order its open calls are merged into, sent to the
// compound's committee; the user lands on the case.
func (w *Web) hotspotCase(rw http.ResponseWriter, r *http.Request, p *Page) {
	c, err := w.svc.CaseFromHotspot(r.Context(), p.Actor, r.PathValue("id"))
	if err == nil {
		http.Redirect(rw, r, "/orders/"+c.ID+"?done=hotspot_case", http.StatusSeeOther)
		return
	}
	status := w.applyErr(p, err)
	p.Nav, p.Title = "dashboard", p.T("hot.title")
	var v hotspotsView
	v.Hotspots, v.Off = w.hotspotsOf(r.Context(), p, 50)
	p.Data = v
	w.render(rw, p, status, "hotspots")
}

// mergeHotspot turns a cluster into one case (dispatchers): its open
// orders are merged into the oldest; the user lands on that order.
func (w *Web) mergeHotspot(rw http.ResponseWriter, r *http.Request, p *Page) {
	parent, err := w.svc.MergeHotspot(r.Context(), p.Actor, r.PathValue("id"))
	if err == nil {
		http.Redirect(rw, r, "/orders/"+parent.ID+"?done=merge", http.StatusSeeOther)
		return
	}
	status := w.applyErr(p, err)
	p.Nav, p.Title = "dashboard", p.T("hot.title")
	var v hotspotsView
	v.Hotspots, v.Off = w.hotspotsOf(r.Context(), p, 50)
	p.Data = v
	w.render(rw, p, status, "hotspots")
}
