package portal

import (
	"hotline/internal/order"
	"hotline/internal/photoclean"
)

// Photo limits: the shared ones (internal/photoclean).
const (
	MaxPhotoBytes  = photoclean.MaxBytes
	MaxPhotoPixels = photoclean.MaxPixels
	MaxPhotoSide   = photoclean.MaxSide
)

// ProcessPhoto checks and re-encodes a citizen's photo the way every photo
// is stored (photoclean.Process): EXIF and other metadata are gone.
func ProcessPhoto(data []byte) (order.Photo, error) {
	c, err := photoclean.Process("photo", data)
	if err != nil {
		return order.Photo{}, err
	}
	return order.Photo{ContentType: c.ContentType, Width: c.Width, Height: c.Height, Size: len(c.Data), Data: c.Data}, nil
}
