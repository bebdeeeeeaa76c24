package streams

import (
	"fmt"
	"maps"

	"github.com/schoolroster/rosterimport/infra/local/template"
)

// mapping is a DynamoDB event source mapping of the template: which
// function consumes the table's stream, how, and where failures go.
type mapping struct {
	function           string
	event              string
	streamARN          string
	startingPosition   string
	batchSize          int
	parallelization    int // concurrent batches per shard, 1 to 10
	filters            []*Filter
	reportItemFailures bool
	bisect             bool
	maxRetries         int // -1: until the record expires
	destination        string
}

// Pollers returns a poller for every DynamoDB event of every function in t.
// r resolves the events' properties; it must know the tables' StreamArn.
func Pollers(t *template.Template, r *template.Resolver, c Config) ([]*Poller, error) {
	var ps []*Poller
	for _, fn := range t.FunctionIDs() {
		for _, ev := range t.Events(fn) {
			if ev.Type != "DynamoDB" {
				continue
			}
			m, err := readMapping(r, fn, ev)
			if err != nil {
				return nil, err
			}
			ps = append(ps, &Poller{m: m, client: c.Client, invoke: c.Invoke, region: c.Region, account: c.Account, log: c.Log,
				poll: c.Poll, backoff: c.Backoff, stateDir: c.StateDir})
		}
	}
	return ps, nil
}

func readMapping(r *template.Resolver, fn string, ev template.Event) (mapping, error) {
	var p struct {
		StartingPosition           string
		BatchSize                  *int
		ParallelizationFactor      *int
		BisectBatchOnFunctionError bool
		MaximumRetryAttempts       *int
		FunctionResponseTypes      []string
		DestinationConfig          struct{ OnFailure struct{ Destination string } }
		FilterCriteria             struct{ Filters []struct{ Pattern string } }
	}
	props := maps.Clone(ev.Properties)
	delete(props, "Stream")
	if err := r.Decode(props, &p); err != nil {
		return mapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
	}
	// The stream is named by GetAtt Table.StreamArn; read it after the table exists.
	arn, err := r.ResolveString(ev.Properties["Stream"])
	if err != nil {
		return mapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
	}
	m := mapping{function: fn, event: ev.Name, streamARN: arn, startingPosition: p.StartingPosition,
		batchSize: 100, bisect: p.BisectBatchOnFunctionError, maxRetries: -1, destination: p.DestinationConfig.OnFailure.Destination}
	if p.BatchSize != nil {
		m.batchSize = *p.BatchSize
	}
	m.parallelization = 1
	if f := p.ParallelizationFactor; f != nil {
		if *f < 1 || *f > 10 {
			return mapping{}, fmt.Errorf("%s event %s: ParallelizationFactor %d is not between 1 and 10", fn, ev.Name, *f)
		}
		m.parallelization = *f
	}
	if p.MaximumRetryAttempts != nil {
		m.maxRetries = *p.MaximumRetryAttempts
	}
	for _, t := range p.FunctionResponseTypes {
		m.reportItemFailures = m.reportItemFailures || t == "ReportBatchItemFailures"
	}
	for _, f := range p.FilterCriteria.Filters {
		c, err := CompileFilter(f.Pattern)
		if err != nil {
			return mapping{}, fmt.Errorf("%s event %s: %w", fn, ev.Name, err)
		}
		m.filters = append(m.filters, c)
	}
	return m, nil
}
