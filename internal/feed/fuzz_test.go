package feed

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"hotline/internal/api"
	"hotline/internal/apperr"
	"hotline/internal/service"
)

// FuzzWebhookBody: whatever a platform sends (once its signature checks
// out), decoding either succeeds or is a 400/413 naming what is wrong,
// never a panic or an internal error; and the signature check never
// accepts a body it was not computed over.
func FuzzWebhookBody(f *testing.F) {
	f.Add([]byte(`{"platform_order_id":"SH-1","type":"complaint","urgency":"normal","title":"夜间施工噪音","description":"工地夜间施工","caller":{"name":"王先生","phone":"13912345678"},"address":"宾阳路 100 弄","lat":31.2,"lng":121.4,"created_at":"2026-11-27T09:30:00+08:00","deadline":"2026-12-04T17:00:00+08:00"}`))
	f.Add([]byte(`{"platform_order_id": 7, "caller": "x"}`))
	f.Add([]byte(`[{}]`))
	f.Add([]byte(`{"lat": 1e999}`))
	f.Add([]byte(`{"platform_order_id":"SH-1","title":"\u0000"}`))
	f.Add([]byte("{\"platform_order_id\":\"SH-1\",\"caller\":{\"name\":\"\xff\"}}"))
	f.Add([]byte(`{"platform_order_id":"SH-\ud800"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in service.FeedOrder
		err := api.DecodeJSON(bytes.NewReader(body), &in)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid {
				t.Fatalf("decode error with code %s: %v", c, err)
			}
		}
		if err == nil && !utf8.Valid(body) {
			t.Fatalf("invalid UTF-8 decoded: %q", body)
		}
		sig := Sign("secret-secret-secret", 1700000000, body)
		if !Verify("secret-secret-secret", 1700000000, body, sig) {
			t.Fatal("own signature refused")
		}
		if Verify("secret-secret-secret", 1700000000, append(append([]byte{}, body...), ' '), sig) {
			t.Fatal("signature accepted for another body")
		}
	})
}
