package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/storage"
)

const plansUsage = "plans: use `plans ls`, `plans create NAME [--description D] [--rps N] [--quota N --period DAY|MONTH]`, " +
	"`plans show PLAN`, `plans set PLAN [--name N] [--description D] [--rps N] [--quota N] [--period DAY|MONTH|NONE]`, " +
	"`plans rm PLAN`, `plans connect|disconnect PLAN SERVICE STAGE`, `plans add-key|remove-key PLAN SERVICE STAGE KEY` " +
	"or `plans move-key PLAN SERVICE STAGE KEY TO-PLAN`"

// runPlans manages usage plans and their stage and key connections. Changes apply to the gateway without a deploy.
func runPlans(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("plans")
	var cf clientFlags
	cf.register(fs)
	name := fs.String("name", "", "new name")
	description := fs.String("description", "", "description")
	rps := fs.Int("rps", 0, "requests per second per key and stage (0: no limit)")
	quota := fs.Int64("quota", 0, "requests per period per key and stage")
	period := fs.String("period", "", "quota period: DAY, MONTH or NONE (reset at 00:00 UTC daily / on the 1st)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("%s", plansUsage)
	}
	set := setFlags(fs)
	if set["quota"] && !set["period"] && pos[0] == "create" {
		return usagef("plans create: --quota needs --period DAY or MONTH")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch verb := pos[0]; {
	case verb == "ls" && len(pos) == 1:
		list, err := c.ListUsagePlans(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tRPS\tQUOTA\tSTAGES\tKEYS\tDESCRIPTION")
		for _, p := range list {
			keys := 0
			for _, s := range p.Stages {
				keys += len(s.APIKeys)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", p.Name, rpsLabel(p.RPS), quotaLabel(p.QuotaPeriod, p.QuotaLimit),
				len(p.Stages), keys, oneLine(p.Description))
		}
		return tw.Flush()
	case verb == "create" && len(pos) == 2:
		p, err := c.CreateUsagePlan(ctx, admin.UsagePlanInput{Name: pos[1], Description: *description, RPS: *rps,
			QuotaPeriod: strings.ToUpper(*period), QuotaLimit: *quota})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created usage plan %s (rps %s, quota %s)\n", p.Name, rpsLabel(p.RPS),
			quotaLabel(p.QuotaPeriod, p.QuotaLimit))
		return nil
	case verb == "show" && len(pos) == 2:
		return showPlan(ctx, c, pos[1], stdout)
	case verb == "set" && len(pos) == 2:
		var in admin.UsagePlanPatch
		if set["name"] {
			in.Name = name
		}
		if set["description"] {
			in.Description = description
		}
		if set["rps"] {
			in.RPS = rps
		}
		if set["quota"] {
			in.QuotaLimit = quota
		}
		if set["period"] {
			v := strings.ToUpper(*period)
			in.QuotaPeriod = &v
		}
		if in == (admin.UsagePlanPatch{}) {
			return usagef("plans set needs --name, --description, --rps, --quota or --period")
		}
		p, err := c.UpdateUsagePlan(ctx, pos[1], in, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "usage plan %s: rps %s, quota %s (applies now, no deploy needed)\n", p.Name,
			rpsLabel(p.RPS), quotaLabel(p.QuotaPeriod, p.QuotaLimit))
		return nil
	case verb == "rm" && len(pos) == 2:
		if err := c.DeleteUsagePlan(ctx, pos[1], 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed usage plan %s\n", pos[1])
		return nil
	case verb == "connect" && len(pos) == 4:
		ps, err := c.ConnectPlanStage(ctx, pos[1], pos[2], stageArg(pos[3]), 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "connected %s stage %s to usage plan %s\n", ps.ServiceID, stageLabel(ps.StageName), pos[1])
		return nil
	case verb == "disconnect" && len(pos) == 4:
		if err := c.DisconnectPlanStage(ctx, pos[1], pos[2], stageArg(pos[3]), 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disconnected %s stage %s from usage plan %s\n", pos[2], stageLabel(stageArg(pos[3])), pos[1])
		return nil
	case verb == "add-key" && len(pos) == 5:
		if _, err := c.ConnectPlanKey(ctx, pos[1], pos[2], stageArg(pos[3]), pos[4], 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s may now call %s stage %s within usage plan %s\n", pos[4], pos[2],
			stageLabel(stageArg(pos[3])), pos[1])
		return nil
	case verb == "remove-key" && len(pos) == 5:
		if err := c.DisconnectPlanKey(ctx, pos[1], pos[2], stageArg(pos[3]), pos[4], 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s no longer calls %s stage %s through usage plan %s\n", pos[4], pos[2],
			stageLabel(stageArg(pos[3])), pos[1])
		return nil
	case verb == "move-key" && len(pos) == 6:
		ps, err := c.MoveKey(ctx, pos[1], pos[2], stageArg(pos[3]), pos[4], pos[5], 0)
		if err != nil {
			return err
		}
		note := "its quota usage is kept"
		for _, k := range ps.APIKeys {
			if k.Name == pos[4] && k.Quota.Period == storage.QuotaNone {
				note = "its quota usage was reset (the plan has no quota)"
			}
		}
		fmt.Fprintf(stdout, "moved API key %s on %s stage %s from usage plan %s to %s; %s\n", pos[4], pos[2],
			stageLabel(stageArg(pos[3])), pos[1], pos[5], note)
		return nil
	}
	return usagef("%s", plansUsage)
}

func showPlan(ctx context.Context, c *admin.Client, plan string, stdout io.Writer) error {
	p, err := c.GetUsagePlan(ctx, plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "usage plan %s (ID %d, version %d)\nrps:         %s\nquota:       %s\ndescription: %s\n\n",
		p.Name, p.ID, p.Version, rpsLabel(p.RPS), quotaLabel(p.QuotaPeriod, p.QuotaLimit), oneLine(p.Description))
	if len(p.Stages) == 0 {
		fmt.Fprintln(stdout, "no stages connected: connect one with `portico plans connect PLAN SERVICE STAGE`")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTAGE\tAPI KEY\tSTATUS\tUSED")
	for _, s := range p.Stages {
		if len(s.APIKeys) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t\t\n", s.ServiceID, stageLabel(s.StageName))
		}
		for _, k := range s.APIKeys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ServiceID, stageLabel(s.StageName), k.Name, k.Status,
				usedLabel(k.Quota))
		}
	}
	return tw.Flush()
}
