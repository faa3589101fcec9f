package textproc

import "time"

// ModelVersion is one trained suggestion model as it is kept and listed:
// its measured quality and the classifier's bytes. It is here, beside the
// classifier it describes, so that the admin pages and intel can name it
// without importing the storage that keeps it.
type ModelVersion struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // category or unit
	TrainedAt time.Time `json:"trained_at"`
	Examples  int       `json:"examples"`
	HeldOut   int       `json:"held_out"`
	Accuracy  *float64  `json:"accuracy"`
	MacroF1   *float64  `json:"macro_f1"`
	Algorithm string    `json:"algorithm"`
	Data      []byte    `json:"-"`
}
