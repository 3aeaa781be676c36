package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

// Renders chart templates the way Helm does (Go text/template, .Values from a JSON file, the one sprig
// function our charts use: toJson) so tests check the delivery's templates with Helm's engine offline.
// Usage: gotemplate values.json template.yaml...
func main() {
	values := map[string]interface{}{}
	b, _ := os.ReadFile(os.Args[1])
	json.Unmarshal(b, &values)
	funcs := template.FuncMap{"toJson": func(v interface{}) string { out, _ := json.Marshal(v); return string(out) }}
	for _, f := range os.Args[2:] {
		src, _ := os.ReadFile(f)
		t, err := template.New(f).Funcs(funcs).Parse(string(src))
		if err != nil { fmt.Fprintln(os.Stderr, "PARSE", f, err); os.Exit(1) }
		var sb strings.Builder
		if err := t.Execute(&sb, map[string]interface{}{"Values": values}); err != nil { fmt.Fprintln(os.Stderr, "EXEC", f, err); os.Exit(1) }
		fmt.Print("---\n" + sb.String())
	}
}
