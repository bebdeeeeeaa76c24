package template

import (
	"fmt"
)

// noValueType is what Ref AWS::NoValue resolves to: Resolve drops the key or
// element that holds it, as CloudFormation does.
type noValueType struct{}

var noValue = noValueType{}

// Condition evaluates the template's condition name with the resolver's
// parameters: Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition.
// Errors: no such condition, a condition that refers to itself, or a
// function conditions cannot use.
func (r *Resolver) Condition(name string) (bool, error) {
	return r.condition(name, 0)
}

// maxConditionDepth bounds conditions naming conditions, so a cycle ends.
const maxConditionDepth = 32

func (r *Resolver) condition(name string, depth int) (bool, error) {
	if depth > maxConditionDepth {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	c, ok := r.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s in the template", name)
	}
	v, err := r.evalCondition(c, depth)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	return v, nil
}

func (r *Resolver) evalCondition(v any, depth int) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || !isIntrinsic(m) {
		return false, fmt.Errorf("%v is not a condition function", v)
	}
	for fn, arg := range m {
		args := asSlice(arg)
		switch fn {
		case "Condition":
			return r.condition(fmt.Sprint(arg), depth+1)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes two values, not %v", arg)
			}
			a, err := r.ResolveString(args[0])
			if err != nil {
				return false, err
			}
			b, err := r.ResolveString(args[1])
			if err != nil {
				return false, err
			}
			return a == b, nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("Fn::Not takes one condition, not %v", arg)
			}
			c, err := r.evalCondition(args[0], depth+1)
			return !c, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 {
				return false, fmt.Errorf("%s takes at least two conditions, not %v", fn, arg)
			}
			and := fn == "Fn::And"
			for _, a := range args {
				c, err := r.evalCondition(a, depth+1)
				if err != nil {
					return false, err
				}
				if c != and {
					return c, nil
				}
			}
			return and, nil
		default:
			return false, fmt.Errorf("%s cannot be used in a condition", fn)
		}
	}
	return false, nil
}

// fnIf resolves Fn::If [condition, value if true, value if false].
func (r *Resolver) fnIf(arg any) (any, error) {
	args := asSlice(arg)
	if len(args) != 3 {
		return nil, fmt.Errorf("Fn::If takes a condition and two values, not %v", arg)
	}
	c, err := r.Condition(fmt.Sprint(args[0]))
	if err != nil {
		return nil, err
	}
	if c {
		return r.Resolve(args[1])
	}
	return r.Resolve(args[2])
}

// Exists reports whether resource id exists with the resolver's parameters:
// it has no Condition, or its Condition holds.
// Errors: the condition's.
func (r *Resolver) Exists(id string) (bool, error) {
	c := r.t.Resources[id].Condition
	if c == "" {
		return true, nil
	}
	return r.Condition(c)
}
