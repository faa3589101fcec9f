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

// drawMap lays the compounds, the orders and the hotspot clusters out in
// a viewBox of at most maxW×maxH, fitted to what there is to show.
func drawMap(mv dashboard.MapView, hs []service.Hotspot, maxW, maxH float64) svgMap {
	rings := make([][][]lngLat, len(mv.Compounds))
	b := emptyBounds()
	for i, c := range mv.Compounds {
		rings[i] = outlineRings(c.Outline)
		for _, r := range rings[i] {
			for _, pt := range r {
				b.grow(pt[0], pt[1])
			}
		}
		if c.Lat != nil && c.Lng != nil {
			b.grow(*c.Lng, *c.Lat)
		}
	}
	for _, p := range mv.Points {
		b.grow(p.Lng, p.Lat)
	}
	if b.empty() {
		return svgMap{W: maxW, H: maxH, Empty: true}
	}
	pr := fit(b, maxW, maxH)
	m := svgMap{W: pr.W, H: pr.H}
	m.Compounds = drawCompounds(pr, mv.Compounds, rings)
	var at map[string][2]float64
	m.Points, at = drawPoints(pr, mv.Points)
	m.Clusters = drawClusters(hs, at, m.Compounds)
	return m
}

// bounds is the extent of what a map shows, in degrees (x longitude, y
// latitude).
type bounds struct{ minX, minY, maxX, maxY float64 }

func emptyBounds() bounds {
	return bounds{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b *bounds) grow(lng, lat float64) {
	b.minX, b.maxX = math.Min(b.minX, lng), math.Max(b.maxX, lng)
	b.minY, b.maxY = math.Min(b.minY, lat), math.Max(b.maxY, lat)
}

func (b bounds) empty() bool { return math.IsInf(b.minX, 0) }

// projection turns WGS84 degrees into the map's pixels: equirectangular,
// longitude shrunk by the cosine of the middle latitude, north up. Over a
// subdistrict's few kilometres this keeps a street's shape (a square block
// stays square) without a projection library.
type projection struct {
	minX, maxY, cosLat, k float64
	W, H                  float64 // the drawing's size, pixels
}

// minSpan is the least extent a map shows (degrees, about 200 m): one
// compound or one point alone is not blown up to fill the page.
const minSpan = 0.002

// fit is the projection that shows b, widened to minSpan and padded (8%
// left and right, 10% above and below, room for labels), as large as fits
// in maxW×maxH; one side of the drawing is the maximum.
func fit(b bounds, maxW, maxH float64) projection {
	if b.maxX-b.minX < minSpan {
		c := (b.maxX + b.minX) / 2
		b.minX, b.maxX = c-minSpan/2, c+minSpan/2
	}
	if b.maxY-b.minY < minSpan {
		c := (b.maxY + b.minY) / 2
		b.minY, b.maxY = c-minSpan/2, c+minSpan/2
	}
	padX, padY := (b.maxX-b.minX)*0.08, (b.maxY-b.minY)*0.1
	b.minX, b.maxX, b.minY, b.maxY = b.minX-padX, b.maxX+padX, b.minY-padY, b.maxY+padY
	cosLat := math.Cos((b.minY + b.maxY) / 2 * math.Pi / 180)
	ux, uy := (b.maxX-b.minX)*cosLat, b.maxY-b.minY
	k := math.Min(maxW/ux, maxH/uy)
	return projection{minX: b.minX, maxY: b.maxY, cosLat: cosLat, k: k, W: math.Round(ux * k), H: math.Round(uy * k)}
}

// at is a place's pixel, to a tenth (the SVG's text stays short).
func (p projection) at(lng, lat float64) (x, y float64) {
	return math.Round((lng-p.minX)*p.cosLat*p.k*10) / 10, math.Round((p.maxY-lat)*p.k*10) / 10
}

// drawCompounds draws each compound's outline rings, coloured by its share
// of the orders, and puts its label at its point (or its outline's middle);
// a compound with neither is left off.
func drawCompounds(pr projection, comps []dashboard.MapCompound, rings [][][]lngLat) []svgCompound {
	most := 0
	for _, c := range comps {
		most = max(most, c.Orders)
	}
	var out []svgCompound
	for i, c := range comps {
		sc := svgCompound{Code: c.Code, Name: c.Name, Committee: c.Committee, Orders: c.Orders}
		if most > 0 && sc.Orders > 0 {
			sc.Heat = 1 + min(3, sc.Orders*4/(most+1))
		}
		var sx, sy float64
		var n int
		for _, r := range rings[i] {
			var b strings.Builder
			for j, pt := range r {
				x, y := pr.at(pt[0], pt[1])
				if j > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%g,%g", x, y)
				sx, sy, n = sx+x, sy+y, n+1
			}
			sc.Polys = append(sc.Polys, b.String())
		}
		switch {
		case c.Lat != nil && c.Lng != nil:
			sc.LX, sc.LY = pr.at(*c.Lng, *c.Lat)
		case n > 0:
			sc.LX, sc.LY = sx/float64(n), sy/float64(n)
		default:
			continue
		}
		out = append(out, sc)
	}
	return out
}

// drawPoints places the orders and returns, beside them, each order's
// projected place by id (before the spread below) for the clusters. Orders
// placed at their compound's centroid are spread on a small spiral around
// it, so a busy compound reads as a dense patch.
func drawPoints(pr projection, points []dashboard.MapPoint) ([]svgPoint, map[string][2]float64) {
	var out []svgPoint
	spread := map[string]int{}
	at := map[string][2]float64{}
	for _, p := range points {
		x, y := pr.at(p.Lng, p.Lat)
		at[p.ID] = [2]float64{x, y}
		if p.Approximate {
			i := spread[p.Compound] + 1
			spread[p.Compound] = i
			r, a := 3.2*math.Sqrt(float64(i)), float64(i)*2.39996
			x, y = math.Round((x+r*math.Cos(a))*10)/10, math.Round((y+r*math.Sin(a))*10)/10
		}
		out = append(out, svgPoint{X: x, Y: y, ID: p.ID, Number: p.Number, Status: p.Status, Category: p.Category,
			Open: order.Status(p.Status).Open(), Approx: p.Approximate})
	}
	return out, at
}

// drawClusters puts each hotspot at the middle of its orders on the map,
// or, when none of them is on it, at the compound its place or label
// names; a hotspot found nowhere is left off. The circle grows with the
// square root of its size.
func drawClusters(hs []service.Hotspot, at map[string][2]float64, comps []svgCompound) []svgCluster {
	var out []svgCluster
	for hi, h := range hs {
		var sx, sy float64
		var n int
		for _, id := range h.Members {
			if xy, ok := at[id]; ok {
				sx, sy, n = sx+xy[0], sy+xy[1], n+1
			}
		}
		if n == 0 {
			for _, c := range comps {
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
		out = append(out, svgCluster{X: math.Round(sx / float64(n)), Y: math.Round(sy / float64(n)),
			R: r, DY: r + 13, N: hi + 1, ID: h.ID, Label: h.Label, Size: h.Size, Open: h.Open, Heat: h.Heat})
	}
	return out
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
	w.hotspotsRefused(rw, r, p, err)
}

// hotspotsRefused shows the hotspots again with why an action on one of
// them was refused.
func (w *Web) hotspotsRefused(rw http.ResponseWriter, r *http.Request, p *Page, err error) {
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
	w.hotspotsRefused(rw, r, p, err)
}
