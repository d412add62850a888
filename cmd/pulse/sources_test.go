package main

import (
	"context"
	"strings"
	"testing"
)

const sourcesFile = `teams:
  - name: Growth
    platform: slack
    channel: C1
    sources:
      - name: shop-conversion
        url: https://shop.example.com/api/stats
        headers:
          X-Api-Key: SHOP_API_KEY
        path: data.conversion.rate
        schedule: "*/15 * * * *"
        goals: [G7]
      - name: prom
        kind: prometheus
        url: http://prometheus:9090
        query: sum(rate(orders_total[1h]))
        schedule: "0 * * * *"
    templates:
      - name: conversion
        title: Checkout conversion
        unit: "%"
        source: shop-conversion
`

func TestTeamFileSourcesResolveHeaderSecretsFromTheEnvironment(t *testing.T) {
	path := writeFile(t, "teams.yaml", sourcesFile)
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"PULSE_CONFIG": path, "SHOP_API_KEY": "s3cret"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 2 || cfg.Sources[0].Headers["X-Api-Key"] != "s3cret" || cfg.Sources[0].Goals[0] != "G7" ||
		cfg.Sources[1].Kind != "prometheus" || cfg.Sources[0].Team != "growth" {
		t.Fatalf("sources %+v", cfg.Sources)
	}
	if tpl := cfg.Templates["growth"]; len(tpl) != 1 || tpl[0].Source != "shop-conversion" || tpl[0].Unit != "%" {
		t.Fatalf("templates %+v", cfg.Templates)
	}
}

func TestBadSourcesAreListedOneProblemALine(t *testing.T) {
	bad := strings.NewReplacer("SHOP_API_KEY", "MISSING_VAR", "data.conversion.rate", "data..rate", `"0 * * * *"`, `"hourly"`,
		"kind: prometheus", "kind: graphite", "source: shop-conversion", "source: nowhere").Replace(sourcesFile)
	_, err := loadConfig(func(k string) string {
		return map[string]string{"PULSE_CONFIG": writeFile(t, "teams.yaml", bad)}[k]
	})
	if err == nil {
		t.Fatal("bad sources accepted")
	}
	for _, want := range []string{
		`sources[0].headers.X-Api-Key: names the environment variable "MISSING_VAR", which is not set`,
		`sources[0].path: path "data..rate" has an empty key`,
		`sources[1].kind: "graphite" is not json or prometheus`,
		`sources[1].schedule: "hourly" is not a schedule`,
		`templates[0].source: "nowhere" is not one of the team's sources`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatal("a secret reached the error")
	}
}

func TestConfigCheckListsTheMetricSources(t *testing.T) {
	path := writeFile(t, "teams.yaml", sourcesFile)
	out, stderr, err := runPulse(context.Background(), map[string]string{"PULSE_CONFIG": path, "SHOP_API_KEY": "s3cret"}, "", "config", "check")
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, stderr)
	}
	assertContains(t, out, `metric source shop-conversion (json) "*/15 * * * *", goals G7`, `metric source prom (prometheus) "0 * * * *"`)
	if strings.Contains(out, "s3cret") {
		t.Fatal("config check printed a header secret")
	}
}
