// Package report writes the dashboards' exports (issue 5): workbooks of one
// or more sheets with Chinese headers, as Excel (excelize) or CSV. Dates and
// times are shown in Asia/Shanghai; rates are percentages, and a rate with no
// data is written as "无数据", never 0%.
package report

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/calendar"
	"hotline/internal/csvsafe"
)

// Kind is how a column's values are written.
type Kind int

// Column kinds.
const (
	Text     Kind = iota
	Int           // a whole number
	Percent       // a *float64 rate in [0,1]; nil is "no data"
	Change        // a *float64 change of a rate, in percentage points; nil is "—"
	Date          // a time.Time or *time.Time shown as a Shanghai date
	DateTime      // a time.Time or *time.Time shown as Shanghai date and time
)

// NoData is what a rate with a zero denominator reads.
const NoData = "无数据"

// Column is a header and how its values are written.
type Column struct {
	Header string
	Kind   Kind
	Width  float64
}

// Sheet is a table, with optional lines of notes above it (the period and
// what the figures cover).
type Sheet struct {
	Name    string
	Notes   []string
	Columns []Column
	Rows    [][]any
}

// Book is one export.
type Book struct {
	FileName string // without extension (may be Chinese)
	Sheets   []*Sheet
}

// AddSheet appends a sheet and returns it.
func (b *Book) AddSheet(name string, cols ...Column) *Sheet {
	s := &Sheet{Name: name, Columns: cols}
	b.Sheets = append(b.Sheets, s)
	return s
}

// Add appends a row.
func (s *Sheet) Add(values ...any) { s.Rows = append(s.Rows, values) }

func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t != nil {
			return *t, true
		}
	}
	return time.Time{}, false
}

func floatOf(v any) (float64, bool) {
	switch f := v.(type) {
	case *float64:
		if f != nil {
			return *f, true
		}
	case float64:
		return f, true
	}
	return 0, false
}

// text is a value as the CSV (and a fallback cell) shows it.
func text(c Column, v any) string {
	switch c.Kind {
	case Percent:
		if f, ok := floatOf(v); ok {
			return fmt.Sprintf("%.1f%%", f*100)
		}
		return NoData
	case Change:
		if f, ok := floatOf(v); ok {
			return fmt.Sprintf("%+.1f个百分点", f*100)
		}
		return "—"
	case Date:
		if t, ok := timeOf(v); ok {
			return t.In(calendar.Shanghai).Format("2006-01-02")
		}
		if s, ok := v.(string); ok {
			return s
		}
		return ""
	case DateTime:
		if t, ok := timeOf(v); ok {
			return t.In(calendar.Shanghai).Format("2006-01-02 15:04")
		}
		return ""
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// WriteCSV writes every sheet as CSV (UTF-8 with a byte-order mark, so Excel
// opens the Chinese text correctly); sheets after the first follow a blank
// line and a line with the sheet's name. A cell a spreadsheet would take
// for a formula is written with a leading apostrophe (csvsafe).
func (b *Book) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csvsafe.NewWriter(w)
	for i, s := range b.Sheets {
		if i > 0 {
			cw.Write(nil)
			cw.Write([]string{"# " + s.Name})
		}
		for _, n := range s.Notes {
			cw.Write([]string{"# " + n})
		}
		var h []string
		for _, c := range s.Columns {
			h = append(h, c.Header)
		}
		cw.Write(h)
		for _, r := range s.Rows {
			line := make([]string, len(s.Columns))
			for j, c := range s.Columns {
				if j < len(r) {
					line[j] = text(c, r[j])
				}
			}
			cw.Write(line)
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the book as an Excel workbook: bold frozen headers,
// percentages as numbers formatted 0.0%, dates as Excel dates (Shanghai).
func (b *Book) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	note, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "555555"}})
	pct1fmt := "0.0%"
	pct1, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &pct1fmt})
	dayFmt, dtFmt := "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	day, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dayFmt})
	dt, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dtFmt})
	grey, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "888888"}})
	for i, s := range b.Sheets {
		name := s.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		for _, n := range s.Notes {
			cell, _ := excelize.CoordinatesToCellName(1, row)
			f.SetCellStr(name, cell, n)
			f.SetCellStyle(name, cell, cell, note)
			row++
		}
		headerRow := row
		for j, c := range s.Columns {
			cell, _ := excelize.CoordinatesToCellName(j+1, row)
			f.SetCellStr(name, cell, c.Header)
			col, _ := excelize.ColumnNumberToName(j + 1)
			width := c.Width
			if width == 0 {
				width = 14
			}
			f.SetColWidth(name, col, col, width)
		}
		if len(s.Columns) > 0 {
			a, _ := excelize.CoordinatesToCellName(1, row)
			z, _ := excelize.CoordinatesToCellName(len(s.Columns), row)
			f.SetCellStyle(name, a, z, bold)
		}
		row++
		for _, r := range s.Rows {
			for j, c := range s.Columns {
				if j >= len(r) {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, row)
				v := r[j]
				switch c.Kind {
				case Percent:
					if x, ok := floatOf(v); ok {
						f.SetCellFloat(name, cell, x, -1, 64)
						f.SetCellStyle(name, cell, cell, pct1)
					} else {
						f.SetCellStr(name, cell, NoData)
						f.SetCellStyle(name, cell, cell, grey)
					}
				case Date, DateTime:
					if t, ok := timeOf(v); ok {
						// Excel has no time zones: write the Shanghai wall clock.
						l := t.In(calendar.Shanghai)
						f.SetCellValue(name, cell, time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC))
						if c.Kind == Date {
							f.SetCellStyle(name, cell, cell, day)
						} else {
							f.SetCellStyle(name, cell, cell, dt)
						}
					} else {
						f.SetCellStr(name, cell, text(c, v))
					}
				case Int:
					f.SetCellValue(name, cell, v)
				default:
					f.SetCellStr(name, cell, text(c, v))
				}
			}
			row++
		}
		if len(s.Columns) > 0 {
			top, _ := excelize.CoordinatesToCellName(1, headerRow+1)
			f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: top, ActivePane: "bottomLeft"})
		}
	}
	return f.Write(w)
}
