// Package registryfile reads the spreadsheets committees keep (.xlsx
// through excelize, .csv in UTF-8 or the GB 18030 that Excel writes on a
// Chinese Windows) into a table of text, and writes the registry's Excel
// export. It knows file formats only: what the columns mean is the
// registry's (registry.ParseTable, registry.ExportRecord), so the command
// line and the web upload share one import.
package registryfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"hotline/internal/apperr"
	"hotline/internal/community/registry"
)

// MaxBytes bounds an uploaded or read spreadsheet (a whole district's
// registry of a million rows is about 150 MB as CSV; one committee's is
// a few MB).
const MaxBytes = 64 << 20

// Read reads a spreadsheet by its file name's extension: the first sheet
// of an .xlsx, or a .csv. Every cell is text, trimmed of nothing (the
// registry trims).
func Read(r io.Reader, name string) ([][]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, apperr.Wrap(err, "read %s", filepath.Base(name))
	}
	if len(data) > MaxBytes {
		return nil, apperr.New(apperr.TooLarge, "the file is over %d MB", MaxBytes>>20)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		return readXLSX(data)
	case ".csv", ".txt":
		return readCSV(data)
	}
	// No usable extension (an upload without a name): sniff the zip magic.
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(data)
	}
	return readCSV(data)
}

func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, apperr.Field("file", "not a readable .xlsx workbook (an old .xls must be saved as .xlsx or .csv first)")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.Field("file", "the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, apperr.Field("file", "the first sheet cannot be read: "+err.Error())
	}
	return rows, nil
}

func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, apperr.Field("file", "the CSV is neither UTF-8 nor GB 18030 text")
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, apperr.Field("file", "malformed CSV: "+err.Error())
	}
	return rows, nil
}

// WriteXLSX writes an export: one sheet "居民" with the import's headers.
func WriteXLSX(w io.Writer, rows []registry.ExportRow) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "居民"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return apperr.Wrap(err, "export")
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return apperr.Wrap(err, "export")
	}
	cells := func(rec []string) []any {
		out := make([]any, len(rec))
		for i, v := range rec {
			out[i] = v
		}
		return out
	}
	if err := sw.SetRow("A1", cells(registry.ExportHeader)); err != nil {
		return apperr.Wrap(err, "export")
	}
	for i, r := range rows {
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), cells(registry.ExportRecord(r))); err != nil {
			return apperr.Wrap(err, "export")
		}
	}
	if err := sw.Flush(); err != nil {
		return apperr.Wrap(err, "export")
	}
	return f.Write(w)
}
