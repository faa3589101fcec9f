// Package access says who may do what: the roles, the logged-in user, and the
// area rule every community module shares (a committee's handlers read and
// edit their own residential area; leaders read everything; admins manage
// everything; dispatchers and operators read places but never residents'
// personal fields; volunteers see only what they are assigned to). It is
// pure: no I/O, importing nothing of ours but apperr.
package access

import (
	"time"

	"hotline/internal/apperr"
)

// Role is a user's role.
type Role string

// Roles.
const (
	RoleOperator   Role = "operator"   // 受理员
	RoleDispatcher Role = "dispatcher" // 派单员
	RoleHandler    Role = "handler"    // 承办人 (a committee's community worker, 社工, or a section's clerk)
	RoleLeader     Role = "leader"     // 领导
	RoleVolunteer  Role = "volunteer"  // 志愿者
	RoleAdmin      Role = "admin"      // 管理员
)

// Roles lists every role.
var Roles = []Role{RoleOperator, RoleDispatcher, RoleHandler, RoleLeader, RoleVolunteer, RoleAdmin}

// User is a login: who is acting. Unit is the handler's (or volunteer's)
// unit; for a committee it is the residential area (居民区) the user works in.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	Role         Role      `json:"role"`
	Unit         string    `json:"unit,omitempty"`
	DisplayName  string    `json:"display_name"`
	Active       bool      `json:"active"`
	CreatedAt    time.Time `json:"created_at"`
}

// Name is how the user is shown to people: the display name, else the login.
func (u User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

// ReadsArea reports whether u may read what belongs to a residential area
// (places, and for roles that see them, residents and community records).
func ReadsArea(u User, area string) bool {
	switch u.Role {
	case RoleAdmin, RoleLeader:
		return true
	case RoleHandler:
		return u.Unit != "" && u.Unit == area
	}
	return false
}

// EditsArea reports whether u may change an area's records: its own handlers
// and admins.
func EditsArea(u User, area string) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleHandler:
		return u.Unit != "" && u.Unit == area
	}
	return false
}

// ReadsPlaces reports whether u may read an area's places (compounds,
// buildings, households without their residents): intake needs them too.
func ReadsPlaces(u User, area string) bool {
	switch u.Role {
	case RoleDispatcher, RoleOperator:
		return true
	}
	return ReadsArea(u, area)
}

// SeesPersonal reports whether u may see residents' personal fields at all
// (masked): never dispatchers, operators or volunteers.
func SeesPersonal(u User, area string) bool {
	switch u.Role {
	case RoleDispatcher, RoleOperator, RoleVolunteer:
		return false
	}
	return ReadsArea(u, area)
}

// Scope is the areas a list may show u: All, or exactly Area.
type Scope struct {
	All  bool
	Area string
}

// ListScope narrows a list request (area may be empty) to what u may read:
// a handler always gets their own area (asking for another is forbidden),
// leaders and admins what they asked for (everything when empty).
func ListScope(u User, area string) (Scope, error) {
	switch u.Role {
	case RoleAdmin, RoleLeader:
		if area == "" {
			return Scope{All: true}, nil
		}
		return Scope{Area: area}, nil
	case RoleHandler:
		if area != "" && area != u.Unit {
			return Scope{}, apperr.New(apperr.Forbidden, "a committee's workers see their own area only")
		}
		if u.Unit == "" {
			return Scope{}, apperr.New(apperr.Forbidden, "this account belongs to no area")
		}
		return Scope{Area: u.Unit}, nil
	}
	return Scope{}, apperr.New(apperr.Forbidden, "this role does not see community records")
}

// Require returns a Forbidden error unless ok.
func Require(ok bool, what string) error {
	if ok {
		return nil
	}
	return apperr.New(apperr.Forbidden, "not allowed: %s", what)
}

// RequireRole returns a Forbidden error unless role is one of roles: the
// role check of the orders' and the admin services.
func RequireRole(role Role, roles ...Role) error {
	for _, r := range roles {
		if role == r {
			return nil
		}
	}
	return apperr.New(apperr.Forbidden, "role %s may not do this", role)
}
