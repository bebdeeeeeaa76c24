// Package template reads a SAM template (template.yaml), resolves its
// intrinsic functions with local values, and checks it as `sam validate`
// would.
package template

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM template with CloudFormation's short-form
// intrinsics (!Ref, !Sub, !GetAtt, ...) turned into their long form.
type Template struct {
	Parameters map[string]map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]Resource
	Outputs    map[string]any
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	DependsOn  any
	Condition  string // the condition that decides whether it exists; "" for always
}

// LoadTemplate reads and parses a SAM template file.
func LoadTemplate(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTemplate(b)
}

// ParseTemplate parses a SAM template.
func ParseTemplate(b []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("template: empty document")
	}
	v, err := fromNode(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template: top level is not a mapping")
	}
	t := &Template{Parameters: map[string]map[string]any{}, Resources: map[string]Resource{}}
	for name, p := range AsMap(doc["Parameters"]) {
		t.Parameters[name] = AsMap(p)
	}
	t.Conditions = AsMap(doc["Conditions"])
	t.Globals = AsMap(doc["Globals"])
	t.Outputs = AsMap(doc["Outputs"])
	for id, r := range AsMap(doc["Resources"]) {
		m := AsMap(r)
		typ, _ := m["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("template: resource %s has no Type", id)
		}
		cond, _ := m["Condition"].(string)
		t.Resources[id] = Resource{Type: typ, Properties: AsMap(m["Properties"]), Metadata: AsMap(m["Metadata"]), DependsOn: m["DependsOn"], Condition: cond}
	}
	return t, nil
}

// shortForms maps YAML tags to the long form of the intrinsic.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt",
	"!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs", "!Base64": "Fn::Base64",
	"!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
}

func fromNode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if _, custom := shortForms[n.Tag]; custom {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	long, ok := shortForms[n.Tag]
	if !ok {
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		return v, nil
	}
	if long == "Fn::GetAtt" {
		if s, ok := v.(string); ok {
			logical, attr, _ := strings.Cut(s, ".")
			v = []any{logical, attr}
		}
	}
	return map[string]any{long: v}, nil
}

// AsMap returns v as a mapping, or an empty mapping if it is none.
func AsMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// FunctionIDs returns the logical ids of the AWS::Serverless::Function resources, sorted.
func (t *Template) FunctionIDs() []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// FunctionProperties returns a function's properties merged over
// Globals.Function, as SAM merges them (maps merged, scalars overridden).
func (t *Template) FunctionProperties(id string) map[string]any {
	return mergeMaps(AsMap(t.Globals["Function"]), t.Resources[id].Properties)
}

func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook && !isIntrinsic(om) {
			out[k] = mergeMaps(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// Event is one entry of a function's Events.
type Event struct {
	Name       string
	Type       string
	Properties map[string]any
}

// Events returns a function's events sorted by name.
func (t *Template) Events(id string) []Event {
	var evs []Event
	for name, e := range AsMap(t.Resources[id].Properties["Events"]) {
		m := AsMap(e)
		typ, _ := m["Type"].(string)
		evs = append(evs, Event{Name: name, Type: typ, Properties: AsMap(m["Properties"])})
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Name < evs[j].Name })
	return evs
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// Resolver evaluates intrinsic functions with local values: parameter values,
// pseudo parameters, and the local name and attributes of each resource.
type Resolver struct {
	t      *Template
	Params map[string]string            // parameter values (defaults filled in)
	Refs   map[string]string            // logical id or pseudo parameter -> Ref value
	Attrs  map[string]map[string]string // logical id -> attribute -> value
}

// NewResolver returns a resolver of t's values with the given parameter
// values and Refs, and no attributes yet.
func NewResolver(t *Template, params, refs map[string]string) *Resolver {
	return &Resolver{t: t, Params: params, Refs: refs, Attrs: map[string]map[string]string{}}
}

func (r *Resolver) ref(name string) (string, error) {
	if v, ok := r.Params[name]; ok {
		return v, nil
	}
	if v, ok := r.Refs[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("unresolved Ref %s", name)
}

func (r *Resolver) getAtt(logical, attr string) (string, error) {
	if v, ok := r.Attrs[logical][attr]; ok {
		return v, nil
	}
	return "", fmt.Errorf("unresolved GetAtt %s.%s", logical, attr)
}

// Resolve evaluates v (a value from the template) to plain values.
func (r *Resolver) Resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			return r.intrinsic(x)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.Resolve(e)
			if err != nil {
				return nil, err
			}
			if rv != noValue {
				out[k] = rv
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			rv, err := r.Resolve(e)
			if err != nil {
				return nil, err
			}
			if rv != noValue {
				out = append(out, rv)
			}
		}
		return out, nil
	default:
		return v, nil
	}
}

// ResolveString resolves v and renders the result as a string.
func (r *Resolver) ResolveString(v any) (string, error) {
	rv, err := r.Resolve(v)
	if err != nil {
		return "", err
	}
	switch x := rv.(type) {
	case string:
		return x, nil
	case nil, noValueType:
		return "", nil
	case map[string]any, []any:
		return "", fmt.Errorf("value %v is not a scalar", x)
	default:
		return fmt.Sprint(x), nil
	}
}

// Decode resolves v and decodes it into out through JSON, so template
// properties map onto Go structs (and SDK input shapes) by name.
func (r *Resolver) Decode(v any, out any) error {
	rv, err := r.Resolve(v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(rv)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (r *Resolver) intrinsic(m map[string]any) (any, error) {
	for k, arg := range m {
		switch k {
		case "Ref":
			name, _ := arg.(string)
			if name == "AWS::NoValue" {
				return noValue, nil
			}
			return r.ref(name)
		case "Fn::If":
			return r.fnIf(arg)
		case "Fn::GetAtt":
			parts := asSlice(arg)
			if len(parts) != 2 {
				return nil, fmt.Errorf("bad GetAtt %v", arg)
			}
			return r.getAtt(fmt.Sprint(parts[0]), fmt.Sprint(parts[1]))
		case "Fn::Sub":
			return r.sub(arg)
		case "Fn::Join":
			parts := asSlice(arg)
			if len(parts) != 2 {
				return nil, fmt.Errorf("bad Join %v", arg)
			}
			list, err := r.Resolve(parts[1])
			if err != nil {
				return nil, err
			}
			var ss []string
			for _, e := range asSlice(list) {
				ss = append(ss, fmt.Sprint(e))
			}
			return strings.Join(ss, fmt.Sprint(parts[0])), nil
		case "Fn::Select":
			return r.fnSelect(arg)
		case "Fn::Split":
			parts := asSlice(arg)
			if len(parts) != 2 {
				return nil, fmt.Errorf("bad Split %v", arg)
			}
			s, err := r.ResolveString(parts[1])
			if err != nil {
				return nil, err
			}
			var out []any
			for _, p := range strings.Split(s, fmt.Sprint(parts[0])) {
				out = append(out, p)
			}
			return out, nil
		default:
			return nil, fmt.Errorf("intrinsic %s is not supported by the local stack", k)
		}
	}
	return nil, nil
}

// fnSelect resolves Fn::Select [index, list].
func (r *Resolver) fnSelect(arg any) (any, error) {
	parts := asSlice(arg)
	if len(parts) != 2 {
		return nil, fmt.Errorf("bad Select %v", arg)
	}
	idx, err := r.ResolveString(parts[0])
	if err != nil {
		return nil, err
	}
	list, err := r.Resolve(parts[1])
	if err != nil {
		return nil, err
	}
	i, err := strconv.Atoi(idx)
	items := asSlice(list)
	if err != nil || i < 0 || i >= len(items) {
		return nil, fmt.Errorf("Select index %s out of %v", idx, list)
	}
	return items[i], nil
}

func (r *Resolver) sub(arg any) (string, error) {
	var format string
	vars := map[string]any{}
	switch x := arg.(type) {
	case string:
		format = x
	case []any:
		if len(x) != 2 {
			return "", fmt.Errorf("bad Sub %v", arg)
		}
		format, _ = x[0].(string)
		vars = AsMap(x[1])
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(format, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var (
			s   string
			err error
		)
		if v, ok := vars[name]; ok {
			s, err = r.ResolveString(v)
		} else if logical, attr, ok := strings.Cut(name, "."); ok {
			s, err = r.getAtt(logical, attr)
		} else {
			s, err = r.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	return out, firstErr
}
