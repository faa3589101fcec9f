package api_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps the OpenAPI document honest: every route
// registered under /api/v1 by any package of the server is documented.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	s := start(t, "sqlite:"+t.TempDir()+"/o.db", false)
	resp, err := http.Get(s.base + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("openapi.json: %v", err)
	}
	// Every Go file of the server (internal/..., the community modules'
	// packages included) that registers a route under /api/v1.
	var src []byte
	err = filepath.WalkDir("..", func(f string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") {
			return err
		}
		b, err := os.ReadFile(f)
		src = append(src, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^"]+)"`)
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		ops, ok := doc.Paths[m[2]]
		if !ok || ops[strings.ToLower(m[1])] == nil {
			t.Errorf("%s %s is not in openapi.json", m[1], m[2])
		}
	}
}
