package web

import (
	"math"
	"testing"
)

// TestMapProjection checks the hotspot map's projection on its own: the
// drawing fills maxW×maxH on one side and stays inside it on the other,
// north is up and east is right, what is shown lies inside the padded
// frame, a block of ground as long east–west as north–south (in metres)
// is as wide as it is tall on the screen, and one point alone is shown at
// minSpan, not blown up.
func TestMapProjection(t *testing.T) {
	// 宾阳路's neighbourhood, wider than tall in degrees.
	b := emptyBounds()
	b.grow(121.500, 31.300)
	b.grow(121.520, 31.310)
	pr := fit(b, 800, 600)
	if pr.W > 800 || pr.H > 600 || (pr.W != 800 && pr.H != 600) {
		t.Errorf("drawing %gx%g: want one side at its maximum, both within 800x600", pr.W, pr.H)
	}
	x0, y0 := pr.at(121.500, 31.300) // south-west corner
	x1, y1 := pr.at(121.520, 31.310) // north-east corner
	if !(x1 > x0 && y1 < y0) {
		t.Errorf("south-west (%g,%g), north-east (%g,%g): want east right, north up", x0, y0, x1, y1)
	}
	for _, v := range [][2]float64{{x0, y0}, {x1, y1}} {
		if v[0] <= 0 || v[0] >= pr.W || v[1] <= 0 || v[1] >= pr.H {
			t.Errorf("(%g,%g) is outside the padded %gx%g frame", v[0], v[1], pr.W, pr.H)
		}
	}
	// Padding: 8% of the width on each side, 10% of the height.
	if got, want := x0/pr.W, 0.08/1.16; math.Abs(got-want) > 0.002 {
		t.Errorf("left margin %.4f of the width, want %.4f", got, want)
	}
	if got, want := (pr.H-y0)/pr.H, 0.1/1.2; math.Abs(got-want) > 0.002 {
		t.Errorf("bottom margin %.4f of the height, want %.4f", got, want)
	}
	// 0.001° of latitude and 0.001°/cos(lat) of longitude are the same
	// ground distance: the same number of pixels.
	lat := 31.305
	dLng := 0.001 / math.Cos(lat*math.Pi/180)
	ax, ay := pr.at(121.51, lat)
	bx, _ := pr.at(121.51+dLng, lat)
	_, cy := pr.at(121.51, lat+0.001)
	if w, h := bx-ax, ay-cy; math.Abs(w-h) > 0.25 {
		t.Errorf("a square of ground is %g wide, %g tall on screen", w, h)
	}

	// One point alone: the map shows minSpan around it, centred.
	one := emptyBounds()
	one.grow(121.51, 31.30)
	pr = fit(one, 800, 600)
	x, y := pr.at(121.51, 31.30)
	if math.Abs(x-pr.W/2) > 0.5 || math.Abs(y-pr.H/2) > 0.5 {
		t.Errorf("a single point at (%g,%g), want the middle of %gx%g", x, y, pr.W, pr.H)
	}
	xe, _ := pr.at(121.51+minSpan/2, 31.30)
	if got, want := (xe-x)/pr.W, 0.5/1.16; math.Abs(got-want) > 0.002 {
		t.Errorf("minSpan/2 east is %.4f of the width, want %.4f", got, want)
	}
	if !emptyBounds().empty() || one.empty() {
		t.Error("empty(): an empty extent must say so, a grown one not")
	}
}
