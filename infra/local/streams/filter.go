package streams

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Filter is one compiled FilterCriteria pattern of an event source mapping,
// in Lambda's filter-rule syntax: objects nest, leaves are arrays of
// alternatives, every field of a pattern must match, and a record passes a
// mapping when it matches any of its patterns.
//
// Supported alternatives: exact strings, numbers, booleans and null; ""
// (empty); {"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"exists": bool},
// {"anything-but": value | [values] | {"prefix"} | {"suffix"}}, and
// {"numeric": [op, n, (op, n)]} with = > >= < <=.
type Filter struct {
	pattern map[string]any
}

// CompileFilter parses and checks one pattern.
func CompileFilter(pattern string) (*Filter, error) {
	var p map[string]any
	dec := json.NewDecoder(strings.NewReader(pattern))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("filter pattern is not a JSON object: %w", err)
	}
	if err := checkPattern(p); err != nil {
		return nil, err
	}
	return &Filter{pattern: p}, nil
}

func checkPattern(p map[string]any) error {
	for k, v := range p {
		switch x := v.(type) {
		case map[string]any:
			if err := checkPattern(x); err != nil {
				return err
			}
		case []any:
			for _, alt := range x {
				if m, ok := alt.(map[string]any); ok {
					if err := checkOperator(m); err != nil {
						return fmt.Errorf("field %s: %w", k, err)
					}
				}
			}
		default:
			return fmt.Errorf("field %s: a leaf of a filter pattern must be an array", k)
		}
	}
	return nil
}

func checkOperator(m map[string]any) error {
	if len(m) != 1 {
		return fmt.Errorf("an operator object must have exactly one key")
	}
	for op, arg := range m {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			if _, ok := arg.(string); !ok {
				return fmt.Errorf("%s takes a string", op)
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return fmt.Errorf("exists takes true or false")
			}
		case "anything-but":
		case "numeric":
			if _, err := numericRanges(arg); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown operator %q", op)
		}
	}
	return nil
}

// Match reports whether a record (as JSON) matches the pattern.
func (f *Filter) Match(record []byte) bool {
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(string(record)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return false
	}
	return matchObject(f.pattern, v, true)
}

// MatchValue is Match for an already decoded record (numbers as json.Number).
func (f *Filter) MatchValue(record map[string]any) bool { return matchObject(f.pattern, record, true) }

func matchObject(pattern map[string]any, v map[string]any, present bool) bool {
	for k, p := range pattern {
		val, ok := v[k]
		ok = ok && present
		switch x := p.(type) {
		case map[string]any:
			if arr, isArr := val.([]any); isArr && ok {
				// Objects inside an array: any element may match.
				if !slices.ContainsFunc(arr, func(e any) bool {
					sub, isObj := e.(map[string]any)
					return isObj && matchObject(x, sub, true)
				}) {
					return false
				}
				continue
			}
			sub, isObj := val.(map[string]any)
			if !matchObject(x, sub, ok && isObj) {
				return false
			}
		case []any:
			if !matchLeaf(x, val, ok) {
				return false
			}
		}
	}
	return true
}

func matchLeaf(alts []any, val any, present bool) bool {
	for _, alt := range alts {
		if m, ok := alt.(map[string]any); ok {
			if ex, isExists := m["exists"]; isExists {
				// As AWS: "exists" looks at leaf values only, so an object
				// (an attribute's {"S": ...}) does not exist for it.
				_, object := val.(map[string]any)
				if ex.(bool) && present && !object || !ex.(bool) && !present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		// An array in the record matches when any element does.
		if arr, ok := val.([]any); ok {
			for _, e := range arr {
				if matchAlt(alt, e) {
					return true
				}
			}
			continue
		}
		if matchAlt(alt, val) {
			return true
		}
	}
	return false
}

func matchAlt(alt, val any) bool {
	switch a := alt.(type) {
	case map[string]any:
		for op, arg := range a {
			return matchOperator(op, arg, val)
		}
		return false
	default:
		return equalScalar(a, val)
	}
}

func equalScalar(a, val any) bool {
	switch x := a.(type) {
	case nil:
		return val == nil
	case json.Number:
		n, ok := val.(json.Number)
		if !ok {
			return false
		}
		fa, e1 := x.Float64()
		fb, e2 := n.Float64()
		return e1 == nil && e2 == nil && fa == fb
	default:
		return a == val
	}
}

func matchOperator(op string, arg, val any) bool {
	s, isStr := val.(string)
	switch op {
	case "prefix":
		return isStr && strings.HasPrefix(s, arg.(string))
	case "suffix":
		return isStr && strings.HasSuffix(s, arg.(string))
	case "equals-ignore-case":
		return isStr && strings.EqualFold(s, arg.(string))
	case "anything-but":
		switch x := arg.(type) {
		case []any:
			for _, e := range x {
				if equalScalar(e, val) {
					return false
				}
			}
			return true
		case map[string]any:
			return !matchAlt(x, val)
		default:
			return !equalScalar(x, val)
		}
	case "numeric":
		n, ok := val.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		if err != nil {
			return false
		}
		conds, _ := numericRanges(arg)
		for _, c := range conds {
			if !c(f) {
				return false
			}
		}
		return true
	}
	return false
}

func numericRanges(arg any) ([]func(float64) bool, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("numeric takes [op, number] or [op, number, op, number]")
	}
	var conds []func(float64) bool
	for i := 0; i < len(list); i += 2 {
		op, _ := list[i].(string)
		var n float64
		switch x := list[i+1].(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return nil, err
			}
			n = f
		case float64:
			n = x
		default:
			return nil, fmt.Errorf("numeric: %v is not a number", list[i+1])
		}
		switch op {
		case "=":
			conds = append(conds, func(f float64) bool { return f == n })
		case ">":
			conds = append(conds, func(f float64) bool { return f > n })
		case ">=":
			conds = append(conds, func(f float64) bool { return f >= n })
		case "<":
			conds = append(conds, func(f float64) bool { return f < n })
		case "<=":
			conds = append(conds, func(f float64) bool { return f <= n })
		default:
			return nil, fmt.Errorf("numeric: unknown operator %q", op)
		}
	}
	return conds, nil
}
