package web

import (
	"net/http"
	"net/url"

	"hotline/internal/api"
)

// accountPassword is the form where a user changes their own password.
func (w *Web) accountPassword(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Title = p.T("account.password.title")
	if r.URL.Query().Get("changed") != "" {
		p.Flash = p.T("account.password.changed")
	}
	w.render(rw, p, http.StatusOK, "account_password")
}

// accountPasswordPost changes it: the old password is checked, the user's
// other sessions end (service.ChangePassword), this one stays.
func (w *Web) accountPasswordPost(rw http.ResponseWriter, r *http.Request, p *Page) {
	f := r.PostForm
	err := w.adm.ChangePassword(r.Context(), p.Actor, api.Token(r), f.Get("old_password"), f.Get("new_password"), f.Get("confirm"))
	if err == nil {
		http.Redirect(rw, r, "/account/password?changed=1", http.StatusSeeOther)
		return
	}
	p.Title = p.T("account.password.title")
	p.Form = url.Values{} // passwords are never sent back
	w.render(rw, p, w.applyErr(p, err), "account_password")
}

// adminResetPassword sets another user's password (service.ResetPassword:
// admin only, every session of that user ends, audited).
func (w *Web) adminResetPassword(rw http.ResponseWriter, r *http.Request, p *Page) {
	name := r.PathValue("username")
	if err := w.adm.ResetPassword(r.Context(), p.Actor, name, r.PostForm.Get("new_password")); err != nil {
		p.Open = name
		w.adminRender(rw, r, p, w.applyErr(p, err), "admin_users")
		return
	}
	w.adminDone(rw, r, "/admin/users", name)
}
