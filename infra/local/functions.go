package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/schoolroster/rosterimport/infra/local/lambdart"
	"github.com/schoolroster/rosterimport/infra/local/template"
)

// buildFunctions builds every function of the template for this machine,
// the way `sam build` would for its build method.
func (s *Stack) buildFunctions(ctx context.Context) error {
	ids := s.Template.FunctionIDs()
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.buildFunction(ctx, id)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Stack) buildFunction(ctx context.Context, id string) error {
	props := s.Template.FunctionProperties(id)
	codeURI, _ := props["CodeUri"].(string)
	tmplDir := filepath.Dir(s.opts.Template)
	src := filepath.Join(tmplDir, codeURI)
	out := filepath.Join(s.opts.StateDir, "build", id)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch method, _ := template.AsMap(s.Template.Resources[id].Metadata)["BuildMethod"].(string); method {
	case "makefile":
		cmd = exec.CommandContext(ctx, "make", "--no-print-directory", "-C", src, "build-"+id, "ARTIFACTS_DIR="+out, "GOARCH="+runtime.GOARCH)
	case "go1.x", "":
		cmd = exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(out, "bootstrap"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	default:
		return fmt.Errorf("function %s: build method %q is not supported locally", id, method)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", id, err, b)
	}
	return nil
}

// startFunctions makes each function ready to run with its resolved
// environment, Timeout and MemorySize, and as many environments at once as
// its ReservedConcurrentExecutions or, without one, FunctionConcurrency.
func (s *Stack) startFunctions() error {
	for _, id := range s.Template.FunctionIDs() {
		props := s.Template.FunctionProperties(id)
		timeout := 3 * time.Second
		if v, ok := props["Timeout"]; ok {
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return fmt.Errorf("function %s: Timeout %v", id, v)
			}
			timeout = time.Duration(n) * time.Second
		}
		memory := 128
		if v, ok := props["MemorySize"]; ok {
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return fmt.Errorf("function %s: MemorySize %v", id, v)
			}
			memory = n
		}
		env, err := s.functionEnv(id, props, memory)
		if err != nil {
			return err
		}
		concurrency := s.opts.FunctionConcurrency
		// Resolved inside a map, which drops an AWS::NoValue.
		reserved, err := s.resolver.Resolve(map[string]any{"v": props["ReservedConcurrentExecutions"]})
		if err != nil {
			return fmt.Errorf("function %s: ReservedConcurrentExecutions: %w", id, err)
		}
		if v := reserved.(map[string]any)["v"]; v != nil {
			n, err := strconv.Atoi(fmt.Sprint(v))
			if err != nil {
				return fmt.Errorf("function %s: ReservedConcurrentExecutions %v", id, v)
			}
			if n > 0 {
				concurrency = n
			}
		}
		f, err := lambdart.New(lambdart.Config{Name: id, Binary: filepath.Join(s.opts.StateDir, "build", id, "bootstrap"),
			Env: env, Timeout: timeout, MemoryMB: memory, Region: localRegion, Account: localAccount, Log: s.logFile(id),
			Concurrency: concurrency})
		if err != nil {
			return err
		}
		s.functions[id] = f
	}
	return nil
}

func (s *Stack) functionEnv(id string, props map[string]any, memoryMB int) ([]string, error) {
	vars := map[string]string{}
	for k, v := range template.AsMap(template.AsMap(props["Environment"])["Variables"]) {
		val, err := s.resolver.ResolveString(v)
		if err != nil {
			return nil, fmt.Errorf("function %s: environment %s: %w", id, k, err)
		}
		if vars[k], err = s.resolveDynamicRefs(val); err != nil {
			return nil, fmt.Errorf("function %s: environment %s: %w", id, k, err)
		}
	}
	for k, v := range s.opts.EnvVars[id] {
		if _, declared := vars[k]; !declared {
			return nil, fmt.Errorf("function %s: env override %s is not declared in the template", id, k)
		}
		vars[k] = v
	}
	memory := strconv.Itoa(memoryMB)
	name := s.resolver.Refs[id]
	std := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory, "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME": "local", "AWS_REGION": localRegion, "AWS_DEFAULT_REGION": localRegion,
		"AWS_ACCESS_KEY_ID": AccessKeyID, "AWS_SECRET_ACCESS_KEY": localSecretKey,
		"AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "_HANDLER": fmt.Sprint(props["Handler"]),
		"LAMBDA_TASK_ROOT": filepath.Join(s.opts.StateDir, "build", id), "TZ": ":UTC",
		"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8",
		"AWS_EC2_METADATA_DISABLED": "true",
		// The emulators, as AWS_ENDPOINT_URL_<SERVICE> the SDKs read.
		// DynamoDB and SES through the fault proxies; the stream poller
		// reads the stream, so its endpoint is the emulator's own.
		"AWS_ENDPOINT_URL_DYNAMODB": s.DynamoDBProxyURL, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": s.DynamoDBURL,
		"AWS_ENDPOINT_URL_S3": s.S3URL, "AWS_ENDPOINT_URL_SESV2": s.SESProxyURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.SecretsManagerURL,
		// The S3 gateway serves path-style URLs only; the blobs adapter reads this.
		"S3_USE_PATH_STYLE": "true",
	}
	for k, v := range s.opts.ExtraEnv[id] {
		std[k] = v
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(std)) {
		env = append(env, k+"="+std[k])
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env, nil
}
