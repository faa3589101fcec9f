package app

import (
	"fmt"
	"io"
	"os"

	"hotline/internal/seal"
)

// dataKeys finds the key that seals personal data (internal/seal): the one
// given in the configuration, else HOTLINE_DATA_KEY, else for --demo a new
// random key (said on the banner: demo data does not outlive it). Without
// any, modules that keep personal data refuse to store it (seal.ErrNoKey).
func dataKeys(cfg Config, out io.Writer) (*seal.Keys, error) {
	if cfg.Keys != nil {
		return cfg.Keys, nil
	}
	if v := os.Getenv("HOTLINE_DATA_KEY"); v != "" {
		k, err := seal.Parse([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("HOTLINE_DATA_KEY: %w", err)
		}
		return k, nil
	}
	if !cfg.Demo {
		return nil, nil
	}
	content, err := seal.Generate()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "demo: personal data is sealed with a new random key for this run only (set HOTLINE_DATA_KEY to keep one)")
	return seal.Parse(content)
}
