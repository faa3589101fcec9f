package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/community/meeting"
)

// TestMeetingActionInInbox: an overdue meeting action shows in its owner
// unit's inbox page, the one the staff read for orders, with a link to its
// meeting.
func TestMeetingActionInInbox(t *testing.T) {
	parallel(t)
	m, base := server(t, communityDemo)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	kind, topic, compound := "coordination", "收件箱测试协调会", "sanjiang"
	start := time.Now().Add(-time.Hour)
	mt, err := m.Meetings.Create(ctx, binyang, meeting.Input{Kind: &kind, Topic: &topic, Compound: &compound, StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Meetings.AddAction(ctx, binyang, mt.ID, meeting.ActionInput{Text: "收件箱测试事项", Owner: "binyang",
		Due: time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := m.Meetings.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	body, status := login(t, base, "binyang").get("/notifications")
	if status != 200 || !strings.Contains(body, "收件箱测试事项") || !strings.Contains(body, `href="/meetings/`+mt.ID+`#actions"`) {
		t.Fatalf("inbox %d lacks the overdue action or its link:\n%.2000s", status, body)
	}
}
