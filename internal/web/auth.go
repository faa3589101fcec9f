package web

import (
	"net/http"
	"strconv"
	"time"

	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/demo"
	"hotline/internal/httpx"
)

// loginView is the login page's data.
type loginView struct {
	Next     string
	Accounts []demoAccount
	Password string
}

type demoAccount struct{ Username, Role, Name string }

func (w *Web) loginData(p *Page, next string) loginView {
	v := loginView{Next: safeReturn(next, "/")}
	if w.demo {
		v.Password = demo.Password
		for _, u := range demo.Users {
			v.Accounts = append(v.Accounts, demoAccount{u.Username, u.Role, u.Name})
		}
	}
	return v
}

func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	if _, err := w.svc.Authenticate(r.Context(), api.Token(r)); err == nil {
		http.Redirect(rw, r, safeReturn(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
		return
	}
	p.Title = p.T("login.title")
	p.Data = w.loginData(p, r.URL.Query().Get("next"))
	w.render(rw, p, http.StatusOK, "login")
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	r.Body = http.MaxBytesReader(rw, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.Form = r.PostForm
		p.Title = p.T("login.title")
		p.Error = p.T("err.fields")
		p.Data = w.loginData(p, "/")
		w.render(rw, p, http.StatusBadRequest, "login")
		return
	}
	token, _, err := w.svc.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), httpx.ClientAddr(r))
	if err != nil {
		p.Form = r.PostForm
		p.Form.Del("password")
		p.Title = p.T("login.title")
		if e := apperr.As(err); e.RetryAfter > 0 {
			rw.Header().Set("Retry-After", strconv.Itoa(apperr.RetrySeconds(e.RetryAfter)))
		}
		status := w.applyErr(p, err)
		p.Data = w.loginData(p, r.PostFormValue("next"))
		w.render(rw, p, status, "login")
		return
	}
	secure := w.api != nil && w.api.SecureCookies || httpx.IsHTTPS(r)
	http.SetCookie(rw, &http.Cookie{Name: api.SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, Expires: time.Now().Add(w.svc.SessionTTL)})
	http.Redirect(rw, r, safeReturn(r.PostFormValue("next"), "/"), http.StatusSeeOther)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	tok := api.Token(r)
	if tok != "" {
		if err := r.ParseForm(); err == nil && r.PostFormValue("csrf") == csrfToken(tok) {
			if err := w.svc.Logout(r.Context(), tok); err != nil {
				w.log.Warn("logout", "err", err)
			}
		}
	}
	http.SetCookie(rw, &http.Cookie{Name: api.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	// The field pages' copies of check lists and households and their
	// queued changes leave the phone with the user (static/offline/
	// logout.js warns first about unsent changes and clears them itself).
	rw.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	http.Redirect(rw, r, "/login", http.StatusSeeOther)
}
