// Package photoclean checks an uploaded photo and re-encodes it so that
// only pixels are kept: EXIF (GPS position, camera, time), XMP, comments
// and appended data are gone. Citizens' photos (portal) and handlers' site
// photos (order page) go through the same function, so both are stored the
// same way. Pure: bytes in, bytes out.
package photoclean

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png" // PNG photos are accepted and re-encoded as JPEG

	"hotline/internal/apperr"
)

// Photo limits: what a phone sends, not what a bomb sends.
const (
	MaxBytes  = 5 << 20 // as uploaded
	MaxPixels = 50_000_000
	MaxSide   = 2000 // longest side as stored
)

// Clean is a photo as it is stored.
type Clean struct {
	ContentType   string
	Width, Height int
	Data          []byte
}

// Process checks that data really is a JPEG or PNG image, turns it upright
// (a phone camera writes the sensor's pixels plus an EXIF orientation tag;
// once EXIF is dropped the tag is lost, so the rotation is applied to the
// pixels), scales it down to MaxSide and re-encodes it as a JPEG. field
// names the form field in the error.
func Process(field string, data []byte) (Clean, error) {
	if len(data) > MaxBytes {
		return Clean{}, &apperr.Error{Code: apperr.TooLarge, Message: "photo over 5 MB", Fields: map[string]string{field: "at most 5 MB"}}
	}
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (kind != "jpeg" && kind != "png") {
		return Clean{}, apperr.Field(field, "not a JPEG or PNG image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 20000 || cfg.Height > 20000 || cfg.Width*cfg.Height > MaxPixels {
		return Clean{}, apperr.Field(field, "image dimensions too large")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Clean{}, apperr.Field(field, "the image is damaged")
	}
	out := shrink(img, MaxSide)
	if kind == "jpeg" {
		out = orient(out, Orientation(data))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		return Clean{}, apperr.Wrap(err, "encode photo")
	}
	b := out.Bounds()
	return Clean{ContentType: "image/jpeg", Width: b.Dx(), Height: b.Dy(), Data: buf.Bytes()}, nil
}

// Orientation reads the EXIF orientation tag (1–8) of a JPEG; 1 (upright)
// when there is none or it cannot be read.
func Orientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan: no more metadata
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func exifOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient applies an EXIF orientation to the pixels, so the stored photo
// looks as the phone showed it.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+dx*4:dy*dst.Stride+dx*4+4], src.Pix[y*src.Stride+x*4:y*src.Stride+x*4+4])
		}
	}
	return dst
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
