package streams

import "testing"

func TestFilterRules(t *testing.T) {
	record := `{"eventName":"MODIFY","dynamodb":{"NewImage":{"type":{"S":"import"},"status":{"S":"queued"},
		"count":{"N":"5"},"tags":{"L":[{"S":"a"},{"S":"b"}]}},"SizeBytes":120}}`
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact string", `{"dynamodb":{"NewImage":{"status":{"S":["queued"]}}}}`, true},
		{"exact string, other value", `{"dynamodb":{"NewImage":{"status":{"S":["ready"]}}}}`, false},
		{"one of several", `{"eventName":["INSERT","MODIFY"]}`, true},
		{"fields are ANDed", `{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"type":{"S":["user"]}}}}`, false},
		{"prefix", `{"dynamodb":{"NewImage":{"type":{"S":[{"prefix":"imp"}]}}}}`, true},
		{"prefix no match", `{"dynamodb":{"NewImage":{"type":{"S":[{"prefix":"use"}]}}}}`, false},
		{"suffix", `{"dynamodb":{"NewImage":{"type":{"S":[{"suffix":"ort"}]}}}}`, true},
		{"equals-ignore-case", `{"dynamodb":{"NewImage":{"status":{"S":[{"equals-ignore-case":"QUEUED"}]}}}}`, true},
		{"exists true", `{"dynamodb":{"NewImage":{"status":{"S":[{"exists":true}]}}}}`, true},
		{"exists true on an object: only leaves exist, as on AWS", `{"dynamodb":{"NewImage":{"status":[{"exists":true}]}}}`, false},
		{"exists true, absent", `{"dynamodb":{"OldImage":{"status":[{"exists":true}]}}}`, false},
		{"exists false, absent", `{"dynamodb":{"OldImage":[{"exists":false}]}}`, true},
		{"exists false, present", `{"dynamodb":{"NewImage":{"status":[{"exists":false}]}}}`, false},
		{"exists false under absent parent", `{"dynamodb":{"OldImage":{"status":{"S":[{"exists":false}]}}}}`, true},
		{"anything-but value", `{"eventName":[{"anything-but":"REMOVE"}]}`, true},
		{"anything-but list", `{"eventName":[{"anything-but":["MODIFY","REMOVE"]}]}`, false},
		{"anything-but prefix", `{"eventName":[{"anything-but":{"prefix":"MOD"}}]}`, false},
		{"anything-but on absent field", `{"nope":[{"anything-but":"x"}]}`, false},
		{"numeric range", `{"dynamodb":{"SizeBytes":[{"numeric":[">",100,"<=",200]}]}}`, true},
		{"numeric range miss", `{"dynamodb":{"SizeBytes":[{"numeric":[">",120]}]}}`, false},
		{"numeric equals", `{"dynamodb":{"SizeBytes":[{"numeric":["=",120]}]}}`, true},
		{"numeric on a string is no match", `{"dynamodb":{"NewImage":{"count":{"N":[{"numeric":["=",5]}]}}}}`, false},
		{"exact number", `{"dynamodb":{"SizeBytes":[120]}}`, true},
		{"array in record matches any element", `{"dynamodb":{"NewImage":{"tags":{"L":{"S":["b"]}}}}}`, true},
		{"empty pattern matches all", `{}`, true},
		{"missing field", `{"dynamodb":{"NewImage":{"nope":{"S":["x"]}}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CompileFilter(tt.pattern)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := f.Match([]byte(record)); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterRejectsBadPatterns(t *testing.T) {
	for _, p := range []string{
		`not json`,
		`{"a":"scalar leaf"}`,
		`{"a":[{"prefix":1}]}`,
		`{"a":[{"numeric":[">"]}]}`,
		`{"a":[{"numeric":["~",1]}]}`,
		`{"a":[{"wildcard-ish":"x"}]}`,
		`{"a":[{"exists":"yes"}]}`,
	} {
		if _, err := CompileFilter(p); err == nil {
			t.Errorf("CompileFilter(%s) accepted a bad pattern", p)
		}
	}
}
