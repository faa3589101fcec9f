package admin

import (
	"context"
	"errors"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/auth"
	"hotline/internal/order"
	"hotline/internal/store"
)

// passwordRule is the project's password rule (as CreateUser): 8 to 200
// characters. Length is what matters against guessing; the throttle and
// argon2id do the rest.
func passwordRule(f apperr.Fields, field, pw string) {
	if len(pw) < 8 || len(pw) > 200 {
		f.Add(field, "8 to 200 characters")
	}
}

// ChangePassword sets the actor's own password. The old one is required
// and checked like a login (throttled per user, so a stolen session cannot
// guess it); the user's other sessions end, the one it was changed from
// (token) stays. Audited.
func (s *Service) ChangePassword(ctx context.Context, a order.Actor, token, old, pw, confirm string) error {
	f := apperr.Fields{}
	if old == "" {
		f.Add("old_password", "required")
	}
	passwordRule(f, "new_password", pw)
	if confirm != pw {
		f.Add("confirm", "the two new passwords differ")
	}
	if old != "" && old == pw {
		f.Add("new_password", "the new password is the old one")
	}
	if err := f.Err(); err != nil {
		return err
	}
	u, err := s.store.UserByName(ctx, a.Username)
	if err != nil {
		return err
	}
	attempt, wait := s.throttle.Reserve(a.Username, "password:"+a.Username)
	if wait > 0 {
		return apperr.Later(apperr.Unauthorized, wait, "too many failed attempts")
	}
	ok, cerr := s.passwords.Check(ctx, u.PasswordHash, old)
	switch {
	case errors.Is(cerr, auth.ErrBusy):
		attempt.Cancel()
		return apperr.Later(apperr.Unavailable, time.Second, "too many password checks at once")
	case cerr != nil:
		attempt.Cancel()
		return apperr.Wrap(cerr, "check password")
	case !ok:
		attempt.Failed()
		return apperr.Field("old_password", "wrong password")
	}
	attempt.Succeeded()
	hash, err := s.passwords.Hash(pw)
	if err != nil {
		return apperr.Wrap(err, "hash password")
	}
	if err := s.store.SetPassword(ctx, a.Username, hash, auth.HashToken(token)); err != nil {
		return err
	}
	return s.store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: "password_change", Target: "user:" + a.Username})
}

// ResetPassword sets another user's password (admin): for someone who
// forgot theirs. Every session of that user ends; audited with who did it.
func (s *Service) ResetPassword(ctx context.Context, a order.Actor, username, pw string) error {
	if err := access.RequireRole(a.Role, order.RoleAdmin); err != nil {
		return err
	}
	f := apperr.Fields{}
	passwordRule(f, "new_password", pw)
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := s.passwords.Hash(pw)
	if err != nil {
		return apperr.Wrap(err, "hash password")
	}
	if err := s.store.SetPassword(ctx, username, hash, ""); err != nil {
		return err
	}
	return s.store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: "password_reset", Target: "user:" + username})
}
