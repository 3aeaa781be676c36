// The KEDA HTTP add-on's own routing table (its interceptor's pkg/routing, at the pinned chart's appVersion) fed the
// InterceptorRoutes the library renders: run by test/system/activator.test.ts with ROUTES=<file>,<file>,...
package activatorrouting

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	httpv1beta1 "github.com/kedacore/http-add-on/operator/apis/http/v1beta1"
	"github.com/kedacore/http-add-on/pkg/routing"
)

func load(t *testing.T, file string) *httpv1beta1.InterceptorRoute {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ir httpv1beta1.InterceptorRoute
	if err := json.Unmarshal(b, &ir); err != nil {
		t.Fatal(err)
	}
	return &ir
}

// Each route is reached by its header on any host and path; no header reaches none.
func TestRoutesByHeader(t *testing.T) {
	var routes []*httpv1beta1.InterceptorRoute
	tm := routing.NewTableMemory()
	for _, f := range strings.Split(os.Getenv("ROUTES"), ",") {
		ir := load(t, f)
		routes = append(routes, ir)
		tm = tm.Remember(ir)
	}
	if len(routes) < 2 {
		t.Fatal("ROUTES names fewer than two InterceptorRoute files")
	}
	req := httptest.NewRequest("POST", "http://10.0.0.7/v1/completions", nil)
	if got := tm.Route(req.Host, req.URL.Path, req.Header); got != nil {
		t.Fatalf("a request without the header was routed to %s/%s", got.Namespace, got.Name)
	}
	for _, want := range routes {
		h := want.Spec.Rules[0].Headers[0]
		req.Header.Set(h.Name, *h.Value)
		for _, host := range []string{"10.0.0.7", "internal-k8s-inference.elb.amazonaws.com", "llm.example.com"} {
			got := tm.Route(host, "/v1/chat/completions", req.Header)
			if got == nil || got.Name != want.Name || got.Namespace != want.Namespace {
				t.Fatalf("%s: %s on %s was routed to %v, want %s/%s", h.Name, *h.Value, host, got, want.Namespace, want.Name)
			}
		}
	}
}
