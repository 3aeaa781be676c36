// Applies a Sensor's first k8s trigger's parameters to its resource with Argo Events' own code
// (pkg/sensors/triggers.ApplyParams, v1.9.10: text/template with Sprig, as the Sensor pod does) and prints the
// resulting object. Reads the Sensor as JSON on stdin; the event is an SQS-shaped JSON body. A test tool only.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/argoproj/argo-events/pkg/apis/events/v1alpha1"
	"github.com/argoproj/argo-events/pkg/sensors/triggers"
)

func main() {
	var s v1alpha1.Sensor
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, "decode sensor:", err)
		os.Exit(2)
	}
	t := s.Spec.Triggers[0].Template.K8s
	resource, err := json.Marshal(t.Source.Resource)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resource:", err)
		os.Exit(2)
	}
	events := map[string]*v1alpha1.Event{}
	for _, d := range s.Spec.Dependencies {
		events[d.Name] = &v1alpha1.Event{
			Context: &v1alpha1.EventContext{DataContentType: "application/json"},
			Data:    []byte(`{"body":{"detail":{"bucket":{"name":"bucket-models"},"object":{"key":"team/raw/chat/a.jsonl"}}}}`),
		}
	}
	out, err := triggers.ApplyParams(resource, t.Parameters, events)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apply params:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}
