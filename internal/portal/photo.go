package portal

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png" // PNG photos are accepted and re-encoded as JPEG

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// Photo limits: what a phone sends, not what a bomb sends.
const (
	MaxPhotoBytes  = 5 << 20 // as uploaded
	MaxPhotoPixels = 50_000_000
	MaxPhotoSide   = 2000 // longest side as stored
)

// ProcessPhoto checks that data really is a JPEG or PNG image, scales it
// down to MaxPhotoSide and re-encodes it as a JPEG. Re-encoding writes only
// pixels, so EXIF (GPS position, camera, time) and any other metadata or
// appended data are gone.
func ProcessPhoto(data []byte) (order.Photo, error) {
	if len(data) > MaxPhotoBytes {
		return order.Photo{}, &apperr.Error{Code: apperr.TooLarge, Message: "photo over 5 MB", Fields: map[string]string{"photo": "at most 5 MB"}}
	}
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (kind != "jpeg" && kind != "png") {
		return order.Photo{}, apperr.Field("photo", "not a JPEG or PNG image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 20000 || cfg.Height > 20000 || cfg.Width*cfg.Height > MaxPhotoPixels {
		return order.Photo{}, apperr.Field("photo", "image dimensions too large")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return order.Photo{}, apperr.Field("photo", "the image is damaged")
	}
	out := shrink(img, MaxPhotoSide)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		return order.Photo{}, apperr.Wrap(err, "encode photo")
	}
	b := out.Bounds()
	return order.Photo{ContentType: "image/jpeg", Width: b.Dx(), Height: b.Dy(), Size: buf.Len(), Data: buf.Bytes()}, nil
}

// shrink flattens the image on white (PNG transparency) and scales it so
// the longest side is at most limit, averaging the source pixels under each
// target pixel (box filter).
func shrink(src image.Image, limit int) *image.RGBA {
	sb := src.Bounds()
	flat := image.NewRGBA(image.Rect(0, 0, sb.Dx(), sb.Dy()))
	draw.Draw(flat, flat.Bounds(), &image.Uniform{C: color.White}, image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), src, sb.Min, draw.Over)
	w, h := sb.Dx(), sb.Dy()
	if w <= limit && h <= limit {
		return flat
	}
	nw, nh := limit, h*limit/w
	if h > w {
		nw, nh = w*limit/h, limit
	}
	nw, nh = max(nw, 1), max(nh, 1)
	dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		y0, y1 := y*h/nh, max((y+1)*h/nh, y*h/nh+1)
		for x := 0; x < nw; x++ {
			x0, x1 := x*w/nw, max((x+1)*w/nw, x*w/nw+1)
			var r, g, b, n int
			for sy := y0; sy < y1; sy++ {
				row := flat.Pix[sy*flat.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4:]
					r, g, b, n = r+int(p[0]), g+int(p[1]), b+int(p[2]), n+1
				}
			}
			d := dst.Pix[y*dst.Stride+x*4:]
			d[0], d[1], d[2], d[3] = uint8(r/n), uint8(g/n), uint8(b/n), 255
		}
	}
	return dst
}
