package main

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

// deployDir is the repository's deploy/ folder, seen from cmd/pulse.
const deployDir = "../../deploy"

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// No Docker engine or kubectl runs here, so the deploy files are checked
// as far as a test can: each YAML parses, each Kubernetes object names its
// kind, and the pieces agree with each other and with the program.
func TestDeployFilesParseAndAgree(t *testing.T) {
	var files []string
	err := filepath.WalkDir(deployDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) < 5 {
		t.Fatalf("deploy YAML files: %v %v", files, err)
	}
	kinds := map[string]map[string]any{}
	for _, f := range files {
		docs := yamlDocs(t, f)
		if len(docs) == 0 {
			t.Errorf("%s holds no document", f)
		}
		if filepath.Base(filepath.Dir(f)) != "k8s" {
			continue
		}
		for _, d := range docs {
			kind, _ := d["kind"].(string)
			if kind == "" || d["apiVersion"] == nil || d["metadata"] == nil {
				t.Errorf("%s: a document without kind, apiVersion or metadata", f)
			}
			kinds[kind] = d
		}
	}
	for _, k := range []string{"Deployment", "Service", "Secret", "ConfigMap", "PodDisruptionBudget"} {
		if kinds[k] == nil {
			t.Errorf("deploy/k8s has no %s", k)
		}
	}

	// The ConfigMap carries the example team file, which the program accepts.
	cm := kinds["ConfigMap"]["data"].(map[string]any)["teams.yaml"].(string)
	example, err := os.ReadFile(filepath.Join(deployDir, "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(cm) != strings.TrimSpace(string(example)) {
		t.Errorf("deploy/k8s/configmap.yaml's teams.yaml differs from deploy/config.example.yaml")
	}
	env := map[string]string{"PULSE_CONFIG": writeFile(t, "teams.yaml", cm)}
	if _, stderr, err := runPulse(context.Background(), env, "", "config", "check"); err != nil {
		t.Errorf("the ConfigMap's teams fail `pulse config check`: %v\n%s", err, stderr)
	}

	// Two replicas, probes on /healthz and /readyz, secrets from the Secret.
	dep, _ := yaml.Marshal(kinds["Deployment"])
	for _, want := range []string{"replicas: 2", "path: /healthz", "path: /readyz", "name: pulse-secrets", "runAsNonRoot: true"} {
		if !bytes.Contains(dep, []byte(want)) {
			t.Errorf("the Deployment lacks %q", want)
		}
	}
	sec, _ := yaml.Marshal(kinds["Secret"])
	if !bytes.Contains(sec, []byte("master_name=")) {
		t.Errorf("the Secret's REDIS_URL is not a Sentinel URL")
	}
	compose, _ := os.ReadFile(filepath.Join(deployDir, "compose.yaml"))
	for _, want := range []string{"--appendonly", "everysec"} {
		if !bytes.Contains(compose, []byte(want)) {
			t.Errorf("compose.yaml's Redis lacks %s", want)
		}
	}
	docker, _ := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532", "AS build", "./cmd/pulse"} {
		if !bytes.Contains(docker, []byte(want)) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
}

// TestDockerfileBuildIsStatic builds the binary with the Dockerfile's
// command and checks it needs no dynamic loader, so it runs on a
// distroless/static image, and that it starts.
func TestDockerfileBuildIsStatic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pulse")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build as in the Dockerfile: %v\n%s", err, msg)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader; the static image cannot run it")
		}
	}
	if msg, err := exec.Command(out, "help").CombinedOutput(); err != nil || !strings.Contains(string(msg), "pulse serve") && !strings.Contains(string(msg), "serve") {
		t.Fatalf("the built binary does not run: %v\n%s", err, msg)
	}
}

// The sample dashboard is valid JSON and queries only series Pulse exports.
func TestGrafanaDashboardQueriesExistingMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc, 64)
	go func() { newMetrics().registry.Describe(ch); close(ch) }()
	for d := range ch {
		name := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())
		if name != nil {
			known[name[1]] = true
		}
	}
	series := regexp.MustCompile(`\b(pulse_[a-z_]+|process_[a-z_]+)`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, m := range series.FindAllString(target.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
				if !known[base] {
					t.Errorf("panel %q queries %s, which Pulse does not export", p.Title, m)
				}
			}
		}
	}
}
