package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registryfile"
	"hotline/internal/order"
)

// importMaxBytes bounds an uploaded spreadsheet: one committee's registry
// is a few MB; the pages' usual 2 MB form limit is lifted for this route
// only (uploadLimits).
const importMaxBytes = 32 << 20

// importResultMarker separates the progress lines of a streamed import
// from its result (registry.js reads both).
const importResultMarker = "--result--\n"

func init() { uploadLimits["POST /registry/import"] = importMaxBytes }

// registerRegistryImport mounts the spreadsheet import page.
func (w *Web) registerRegistryImport(mux *http.ServeMux) {
	editors := []order.Role{order.RoleHandler, order.RoleAdmin}
	mux.HandleFunc("GET /registry/import", w.page(editors, w.registryImportForm))
	mux.HandleFunc("POST /registry/import", w.page(editors, w.registryImport))
}

type importView struct {
	Area   string
	Areas  []string
	Report *registry.ImportReport
}

func (w *Web) importView(p *Page, r *http.Request) importView {
	v := importView{Area: w.registryArea(p, r)}
	if a := r.PostFormValue("area"); a != "" {
		v.Area = a // another area's is refused by MayImport, not ignored
	}
	if p.User.Role == order.RoleAdmin {
		v.Areas = w.registryAreas(r.Context())
	}
	return v
}

func (w *Web) registryImportForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	v := w.importView(p, r)
	if _, err := registry.MayImport(p.User, v.Area); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "registry", p.T("registry.import.title")
	p.Data = v
	w.render(rw, p, http.StatusOK, "registry_import")
}

// registryImport reads the uploaded sheet and imports it through the
// registry's service (the same path as `hotline registry import`): every
// bad row with its line and reason and nothing written, or all of it in
// one transaction. Asked by registry.js (X-Registry-Import: fragment), it
// streams "progress DONE TOTAL" lines as rows are written, then the
// result's HTML after importResultMarker; without JavaScript it answers
// the whole page.
func (w *Web) registryImport(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	v := w.importView(p, r)
	p.Nav, p.Title = "registry", p.T("registry.import.title")
	area, err := registry.MayImport(p.User, v.Area)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	fragment := r.Header.Get("X-Registry-Import") == "fragment"
	answer := func(status int) {
		p.Data = v
		if fragment {
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			rw.Header().Set("Cache-Control", "no-store")
			rw.WriteHeader(status)
			fmt.Fprint(rw, importResultMarker)
			if err := w.pages["registry_import"].ExecuteTemplate(rw, "import_result", p); err != nil {
				w.log.Error("render import result", "err", err)
			}
			return
		}
		w.render(rw, p, status, "registry_import")
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		p.Errs["file"] = p.T("registry.import.nofile")
		answer(http.StatusBadRequest)
		return
	}
	defer file.Close()
	table, err := registryfile.Read(file, hdr.Filename)
	if err != nil {
		answer(w.applyErr(p, err))
		return
	}
	var progress registry.Progress
	if fragment {
		rc := http.NewResponseController(rw)
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store")
		rw.Header().Set("X-Content-Type-Options", "nosniff")
		rw.WriteHeader(http.StatusOK)
		var last time.Time
		progress = func(done, total int) {
			if done == total || time.Since(last) > 100*time.Millisecond {
				last = time.Now()
				fmt.Fprintf(rw, "progress %d %d\n", done, total)
				rc.Flush()
			}
		}
		fmt.Fprintf(rw, "progress 0 %d\n", max(len(table)-1, 0))
		rc.Flush()
		answer = func(int) {
			p.Data = v
			fmt.Fprint(rw, importResultMarker)
			if err := w.pages["registry_import"].ExecuteTemplate(rw, "import_result", p); err != nil {
				w.log.Error("render import result", "err", err)
			}
		}
	}
	rep, err := w.reg.Import(ctx, p.User, area, table, progress)
	if err != nil {
		if apperr.Is(err, apperr.Internal) {
			w.log.Error("registry import failed", "area", area, "err", err)
		}
		answer(w.applyErr(p, err))
		return
	}
	v.Report = &rep
	status := http.StatusOK
	if len(rep.Problems) > 0 {
		status = http.StatusBadRequest
	}
	answer(status)
}

// ImportReason is a bad row's reason in the page's language: the
// registry writes "身份证号: <problem>; 联系电话: <problem>", and each
// problem is translated like a form field's.
func (p *Page) ImportReason(reason string) string {
	parts := strings.Split(reason, "; ")
	for i, part := range parts {
		if name, prob, ok := strings.Cut(part, ": "); ok {
			parts[i] = name + "：" + p.w.problem(p.Lang, apperr.Problem{Text: prob})
		}
	}
	return strings.Join(parts, "；")
}
