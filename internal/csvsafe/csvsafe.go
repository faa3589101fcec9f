// Package csvsafe writes CSV that a spreadsheet opens as data, never as
// formulas. Excel, LibreOffice and Google Sheets evaluate a cell that
// starts with =, +, - or @ (and some a tab or carriage return before
// one), so a citizen who types =HYPERLINK("http://…","点击") into the
// public form's address would plant a live link, or worse, in the report
// a leader opens. Every CSV the project writes goes through Writer, which
// prefixes such a cell with an apostrophe (OWASP's advice): the
// spreadsheet then shows the text as typed, the apostrophe included in a
// plain CSV. A cell that is a plain number ("-3", "+1.5") is left alone,
// as it cannot be a formula. A cell already starting with an apostrophe
// gets one more, so that Restore (used by `hotline import` on the
// project's own orders CSV) gives back exactly what was written.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// Neutralise returns s as a cell no spreadsheet evaluates.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '\t' && s[0] != '\r' {
			return s
		}
		return "'" + s
	case '\'':
		return "'" + s
	}
	return s
}

// Restore undoes Neutralise: one leading apostrophe goes.
func Restore(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r'", rune(s[1])) {
		return s[1:]
	}
	return s
}

// Writer is a csv.Writer that neutralises every cell it writes.
type Writer struct {
	*csv.Writer
	buf []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell neutralised.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, c := range record {
		w.buf = append(w.buf, Neutralise(c))
	}
	return w.Writer.Write(w.buf)
}
