package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"hotline/internal/seal"
)

// demoKeyPath is where `serve --demo` keeps its generated data key when none
// is given, beside the demo database.
const demoKeyPath = "./hotline-data/data.key"

func init() {
	register("keys", "data keys for personal data at rest: keys generate --out FILE | keys rotate --data-key-file FILE", runKeys)
}

func runKeys(ctx context.Context, e env, args []string) error {
	const use = "keys generate --out FILE | keys rotate --data-key-file FILE"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, use)
	}
	switch args[0] {
	case "generate":
		fs := flags(e, "keys generate")
		out := fs.String("out", "", "the new key file (created 0600; never overwritten); - prints it")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("%w: keys generate: --out FILE is required", errUsage)
		}
		content, err := seal.Generate()
		if err != nil {
			return err
		}
		if *out == "-" {
			_, err := e.stdout.Write(content)
			return err
		}
		if err := writeKeyFile(*out, content, false); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote a new data key to %s (0600). Keep it outside the database and its backups, and back it up separately: without it the personal data cannot be read.\n", *out)
		return nil
	case "rotate":
		fs := flags(e, "keys rotate")
		file := fs.String("data-key-file", "", "the key file to rotate in place")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *file == "" {
			return fmt.Errorf("%w: keys rotate: --data-key-file FILE is required", errUsage)
		}
		content, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("keys rotate: %w", err)
		}
		rotated, err := seal.Rotate(content)
		if err != nil {
			return fmt.Errorf("keys rotate: %s: %w", *file, err)
		}
		k, err := seal.Parse(rotated)
		if err != nil {
			return err
		}
		if err := writeKeyFile(*file, rotated, true); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "rotated %s: new values are sealed under key %d; older keys are kept. Servers using this file pick it up within seconds and re-encrypt old values in the background.\n", *file, k.PrimaryID())
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, use)
}

// writeKeyFile writes a key file so that no reader ever sees half of it: a
// temporary file in the same directory (0600, synced) is renamed over the
// old file (replace) or hard-linked to a name that must not exist yet
// (create, which never overwrites a key: that would lose every sealed value).
func writeKeyFile(path string, content []byte, replace bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".data.key-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; a key file is never overwritten (rotate it with `hotline keys rotate`)", path)
		}
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// dataKeyFlag adds --data-key-file to a command that handles personal data.
func dataKeyFlag(fs *flag.FlagSet) *string {
	return fs.String("data-key-file", "", "key file for personal data at rest (or $HOTLINE_DATA_KEY with its content; see `hotline keys`)")
}

// loadDataKey reads the data key from --data-key-file (which a running
// server follows through rotations), else from HOTLINE_DATA_KEY (the key
// file's JSON or its base64; rotating it needs a restart). Neither gives
// nil: the modules that keep personal data then refuse to start.
func loadDataKey(e env, file string) (*seal.Keys, error) {
	if file != "" {
		return seal.LoadFile(file)
	}
	if v := e.getenv("HOTLINE_DATA_KEY"); v != "" {
		k, err := seal.Parse([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("HOTLINE_DATA_KEY: %w", err)
		}
		return k, nil
	}
	return nil, nil
}

// demoDataKey is the key of `serve --demo` when none is given: the one kept
// in demoKeyPath, generated there on the first run, so that a restarted demo
// still reads its data. It reports whether it generated the key now.
func demoDataKey() (*seal.Keys, bool, error) {
	if k, err := seal.LoadFile(demoKeyPath); err == nil {
		return k, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(demoKeyPath), 0o700); err != nil {
		return nil, false, err
	}
	content, err := seal.Generate()
	if err != nil {
		return nil, false, err
	}
	if err := writeKeyFile(demoKeyPath, content, false); err != nil {
		return nil, false, err
	}
	k, err := seal.LoadFile(demoKeyPath)
	return k, true, err
}
