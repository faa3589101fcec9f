package api

import (
	"net/http"
)

// changePassword answers POST /api/v1/session/password: the logged-in user
// sets a new password, giving the old one (service.ChangePassword: their
// other sessions end, this token stays valid).
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Admin.ChangePassword(r.Context(), actor(r), Token(r), in.OldPassword, in.NewPassword, in.NewPassword); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetPassword answers POST /api/v1/users/{username}/password (admin): a
// new password for someone who forgot theirs; every session of theirs ends.
func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Admin.ResetPassword(r.Context(), actor(r), r.PathValue("username"), in.Password); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
