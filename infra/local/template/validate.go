package template

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Validate does what `sam validate` would, for what this project relies on
// (SAM itself is not installable here):
//   - every Ref, GetAtt and Sub names a parameter, pseudo parameter or resource;
//   - the resource dependency graph, with the edges SAM's transform adds for
//     S3 and HttpApi events, has no cycle (the trap of a bucket notifying a
//     function whose policy Refs that bucket);
//   - every function's CodeUri folder exists and, for the makefile build
//     method, its Makefile has the build-<LogicalId> target;
//   - a resource's Condition, Fn::If and Condition name a condition of
//     Conditions;
//   - Schedule events have SAM's properties only and a valid schedule
//     expression (rate(...) or cron(...)).
//
// Other function properties (ReservedConcurrentExecutions, ...) and other
// event types are not checked.
//
// It returns every problem found, joined.
func (t *Template) Validate(templateDir string) error {
	var problems []string
	deps := map[string]map[string]bool{}
	addEdge := func(from, to string) {
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	check := func(where string, v any, from string) {
		for _, target := range t.references(v, &problems, where) {
			if _, isResource := t.Resources[target]; isResource && from != "" {
				addEdge(from, target)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		res := t.Resources[id]
		props := res.Properties
		if res.Type == "AWS::Serverless::Function" {
			props = t.FunctionProperties(id)
			delete(props, "Events")
			t.checkBuild(id, props, templateDir, &problems)
			for _, ev := range t.Events(id) {
				where := id + ".Events." + ev.Name
				switch ev.Type {
				case "S3":
					// SAM puts the notification on the bucket: bucket -> function.
					for _, b := range t.references(ev.Properties["Bucket"], &problems, where) {
						addEdge(b, id)
					}
				case "Schedule":
					checkSchedule(where, ev.Properties, &problems)
					t.references(ev.Properties, &problems, where)
				case "HttpApi", "Api":
					for _, a := range t.references(ev.Properties["ApiId"], &problems, where) {
						addEdge(a, id)
					}
					t.references(withoutKey(ev.Properties, "ApiId"), &problems, where)
				default:
					// Stream, queue and schedule events become separate resources
					// that depend on the function and their sources: no edge from it.
					t.references(ev.Properties, &problems, where)
				}
			}
		}
		check(id, props, id)
		if res.Condition != "" {
			if _, ok := t.Conditions[res.Condition]; !ok {
				problems = append(problems, fmt.Sprintf("%s: Condition %s is not in Conditions", id, res.Condition))
			}
		}
		for _, d := range dependsOn(res.DependsOn) {
			if _, ok := t.Resources[d]; !ok {
				problems = append(problems, fmt.Sprintf("%s: DependsOn %s, which is not a resource", id, d))
			}
			addEdge(id, d)
		}
	}
	check("Conditions", t.Conditions, "")
	check("Globals", t.Globals, "")
	check("Outputs", t.Outputs, "")
	if cycle := findCycle(deps); cycle != nil {
		problems = append(problems, "circular dependency: "+strings.Join(cycle, " -> "))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("template: %s", strings.Join(problems, "; "))
	}
	return nil
}

func dependsOn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// references returns the logical ids v refers to, noting unknown targets.
func (t *Template) references(v any, problems *[]string, where string) []string {
	var out []string
	known := func(name string) bool {
		if _, ok := t.Parameters[name]; ok {
			return true
		}
		if _, ok := t.Resources[name]; ok {
			return true
		}
		return strings.HasPrefix(name, "AWS::")
	}
	note := func(kind, name string) {
		if !known(name) {
			*problems = append(*problems, fmt.Sprintf("%s: %s %s names nothing in the template", where, kind, name))
			return
		}
		out = append(out, name)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if isIntrinsic(x) {
				for k, arg := range x {
					switch k {
					case "Ref":
						note("Ref", fmt.Sprint(arg))
						return
					case "Condition":
						t.noteCondition(fmt.Sprint(arg), problems, where)
						return
					case "Fn::If":
						if args := asSlice(arg); len(args) == 3 {
							t.noteCondition(fmt.Sprint(args[0]), problems, where)
							walk(args[1])
							walk(args[2])
							return
						}
					case "Fn::GetAtt":
						if parts := asSlice(arg); len(parts) == 2 {
							if _, ok := t.Resources[fmt.Sprint(parts[0])]; !ok {
								*problems = append(*problems, fmt.Sprintf("%s: GetAtt %v names no resource", where, parts[0]))
							} else {
								out = append(out, fmt.Sprint(parts[0]))
							}
						}
						return
					case "Fn::Sub":
						format, vars := "", map[string]any{}
						switch s := arg.(type) {
						case string:
							format = s
						case []any:
							if len(s) == 2 {
								format, _ = s[0].(string)
								vars = AsMap(s[1])
								walk(s[1])
							}
						}
						for _, m := range subVar.FindAllStringSubmatch(format, -1) {
							name := m[1]
							if strings.HasPrefix(name, "!") {
								continue
							}
							if _, ok := vars[name]; ok {
								continue
							}
							if logical, _, isAtt := strings.Cut(name, "."); isAtt {
								if _, ok := t.Resources[logical]; !ok {
									*problems = append(*problems, fmt.Sprintf("%s: Sub ${%s} names no resource", where, name))
								} else {
									out = append(out, logical)
								}
								continue
							}
							note("Sub variable", name)
						}
						return
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func (t *Template) noteCondition(name string, problems *[]string, where string) {
	if _, ok := t.Conditions[name]; !ok {
		*problems = append(*problems, fmt.Sprintf("%s: condition %s is not in Conditions", where, name))
	}
}

func (t *Template) checkBuild(id string, props map[string]any, templateDir string, problems *[]string) {
	codeURI, _ := props["CodeUri"].(string)
	dir := filepath.Join(templateDir, codeURI)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		*problems = append(*problems, fmt.Sprintf("%s: CodeUri %q is not a folder", id, codeURI))
		return
	}
	if m, _ := t.Resources[id].Metadata["BuildMethod"].(string); m == "makefile" {
		cmd := exec.Command("make", "-n", "-C", dir, "build-"+id, "ARTIFACTS_DIR="+os.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			*problems = append(*problems, fmt.Sprintf("%s: make has no target build-%s in %s: %s", id, id, codeURI, strings.TrimSpace(string(out))))
		}
	}
}

// findCycle returns one cycle of the graph as a path, or nil.
func findCycle(deps map[string]map[string]bool) []string {
	const (
		unseen = iota
		active
		finished
	)
	state := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(n string) bool
	visit = func(n string) bool {
		state[n] = active
		stack = append(stack, n)
		for _, d := range slices.Sorted(maps.Keys(deps[n])) {
			switch state[d] {
			case active:
				for i, s := range stack {
					if s == d {
						cycle = append(append([]string{}, stack[i:]...), d)
					}
				}
				return true
			case unseen:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = finished
		return false
	}
	for _, n := range slices.Sorted(maps.Keys(deps)) {
		if state[n] == unseen && visit(n) {
			return cycle
		}
	}
	return nil
}

// withoutKey returns a copy of m without key.
func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
