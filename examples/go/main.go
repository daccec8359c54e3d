// Command qpu-go-example declares one Session through the qpu provider plugin with the
// generated Go SDK (sdk/go) and runs it with the Automation API, as an inline program:
//
//	go run . OPERATION [KEY=VALUE ...]
//
// OPERATION is preview, up, refresh or destroy; each KEY=VALUE is set in the stack's
// config first. Config (all optional): platform (default EMU-AER-16C-128M), team (a tag),
// maxDuration (default 1h); a new team or maxDuration updates the session in place,
// another platform replaces it. The stack (QPU_STACK, default dev) is created on first use
// in the backend you are logged in to (or PULUMI_BACKEND_URL); the project's settings and
// the stack's config are kept in the current folder (Pulumi.yaml, Pulumi.<stack>.yaml,
// written on first use), so a value set once stays. The engine's lines are printed as it
// runs, then a last line `outputs: {...}` with the stack's outputs as JSON.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi-qpu/pulumi-qpu/sdk/go/qpu"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// program is the Pulumi program: one Session and its outputs.
func program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	platform := cfg.Get("platform")
	if platform == "" {
		platform = "EMU-AER-16C-128M"
	}
	team := cfg.Get("team")
	if team == "" {
		team = "quantum"
	}
	maxDuration := cfg.Get("maxDuration")
	if maxDuration == "" {
		maxDuration = "1h"
	}
	session, err := qpu.NewSession(ctx, "session", &qpu.SessionArgs{
		PlatformName:    pulumi.String(platform),
		Name:            pulumi.String(ctx.Stack() + "-go"),
		MaxIdleDuration: pulumi.String("15m"),
		MaxDuration:     pulumi.String(maxDuration),
		Tags:            pulumi.StringArray{pulumi.String("team:" + team), pulumi.String("example:go")},
	})
	if err != nil {
		return err
	}
	ctx.Export("sessionId", session.ID())
	ctx.Export("status", session.Status)
	ctx.Export("platformId", session.PlatformId)
	ctx.Export("tags", session.Tags)
	ctx.Export("worstCaseCost", session.WorstCaseCost)
	return nil
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: qpu-go-example OPERATION [KEY=VALUE ...]")
	}
	stackName := os.Getenv("QPU_STACK")
	if stackName == "" {
		stackName = "dev"
	}
	workDir, err := os.Getwd()
	if err != nil {
		return err
	}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "qpu-go", program, auto.WorkDir(workDir))
	if err != nil {
		return err
	}
	for _, setting := range args[1:] {
		key, value, _ := strings.Cut(setting, "=")
		if err := stack.SetConfig(ctx, key, auto.ConfigValue{Value: value}); err != nil {
			return err
		}
	}
	switch args[0] {
	case "preview":
		_, err = stack.Preview(ctx, optpreview.ProgressStreams(os.Stdout))
	case "up":
		_, err = stack.Up(ctx, optup.ProgressStreams(os.Stdout))
	case "refresh":
		_, err = stack.Refresh(ctx, optrefresh.ProgressStreams(os.Stdout))
	case "destroy":
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
	default:
		err = fmt.Errorf("unknown operation %q (preview, up, refresh or destroy)", args[0])
	}
	if err != nil {
		return err
	}
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		return err
	}
	values := map[string]interface{}{}
	for key, output := range outputs {
		values[key] = output.Value
	}
	text, err := json.Marshal(values)
	if err != nil {
		return err
	}
	fmt.Printf("outputs: %s\n", text)
	return nil
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
