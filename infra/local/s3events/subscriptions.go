package s3events

import (
	"fmt"
	"strings"

	"github.com/schoolroster/rosterimport/infra/local/template"
)

// Subscribe reads the S3 events of the functions in t (r resolves their
// properties) and delivers to them from then on.
func (b *Bridge) Subscribe(t *template.Template, r *template.Resolver) error {
	var subs []subscription
	for _, id := range t.FunctionIDs() {
		for _, ev := range t.Events(id) {
			if ev.Type != "S3" {
				continue
			}
			var p struct {
				Bucket string
				Events any
				Filter struct {
					S3Key struct {
						Rules []struct{ Name, Value string }
					}
				}
			}
			if err := r.Decode(ev.Properties, &p); err != nil {
				return fmt.Errorf("%s event %s: %w", id, ev.Name, err)
			}
			sub := subscription{function: id, bucket: p.Bucket}
			switch e := p.Events.(type) {
			case string:
				sub.events = []string{e}
			case []any:
				for _, x := range e {
					sub.events = append(sub.events, fmt.Sprint(x))
				}
			}
			for _, rule := range p.Filter.S3Key.Rules {
				switch strings.ToLower(rule.Name) {
				case "prefix":
					sub.prefix = rule.Value
				case "suffix":
					sub.suffix = rule.Value
				}
			}
			subs = append(subs, sub)
		}
	}
	b.subs = subs
	return nil
}
