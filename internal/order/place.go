package order

import (
	"strings"
	"time"
)

// Place writes where an order is, the one way every page, export and
// notification writes it: the compound's name and the building run
// together the way a resident says them ("三江小区29号楼"), then the
// free address, and nothing twice. Callers used to type the compound and
// building into the free address as well as pick them, so a piece the
// address already says is left out rather than repeated; an empty result
// means the order says nowhere.
func Place(compoundName, building, address string) string {
	compoundName = strings.TrimSpace(compoundName)
	building = strings.TrimSpace(building)
	address = strings.TrimSpace(address)
	if compoundName != "" && strings.Contains(address, compoundName) {
		compoundName = ""
	}
	if building != "" && strings.Contains(address, building) {
		building = ""
	}
	head := compoundName + building
	switch {
	case head == "":
		return address
	case address == "":
		return head
	case compoundName == "":
		// The address names the compound already; the building follows it.
		return address + " " + head
	}
	return head + " " + address
}

// RunningDeadline is the deadline the order's current step runs against,
// the one a list counts down to: signing while dispatched, first contact
// once accepted, the reply while in progress (and during a return request,
// the step it was asked from). A replied, reviewed or closed order has no
// running deadline: its reply is in, so nothing counts down any more.
func (o Order) RunningDeadline() *time.Time {
	st := o.Status
	if st == ReturnRequested {
		st = o.ReturnFrom
		if st != Dispatched && st != Accepted {
			st = InProgress
		}
	}
	switch st {
	case Dispatched:
		return o.SignDue
	case Accepted:
		return o.ContactDue
	case InProgress:
		return o.Due
	}
	return nil
}
