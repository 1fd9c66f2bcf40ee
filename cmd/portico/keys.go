package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/storage"
)

const keysUsage = "keys: use `keys ls`, `keys create NAME [--description D] [--inactive]`, `keys show KEY`, " +
	"`keys set KEY [--status ACTIVE|INACTIVE] [--name N] [--description D]`, `keys regenerate KEY primary|secondary` " +
	"or `keys rm KEY`"

// runKeys manages API keys. Values are printed only by create and regenerate, once: the server keeps hashes.
func runKeys(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("keys")
	var cf clientFlags
	cf.register(fs)
	description := fs.String("description", "", "description")
	inactive := fs.Bool("inactive", false, "create the key INACTIVE")
	status := fs.String("status", "", "ACTIVE or INACTIVE")
	name := fs.String("name", "", "new name")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("%s", keysUsage)
	}
	set := setFlags(fs)
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch verb := pos[0]; {
	case verb == "ls" && len(pos) == 1:
		list, err := c.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tSTATUS\tSTAGES\tDESCRIPTION")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", k.Name, k.ID, k.Status, connectionsLabel(k.Connections),
				oneLine(k.Description))
		}
		return tw.Flush()
	case verb == "create" && len(pos) == 2:
		st := storage.KeyActive
		if *inactive {
			st = storage.KeyInactive
		}
		k, err := c.CreateAPIKey(ctx, admin.APIKeyInput{Name: pos[1], Description: *description, Status: st})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created API key %s (ID %d, %s)\n", k.Name, k.ID, k.Status)
		printValues(stdout, k)
		return nil
	case verb == "show" && len(pos) == 2:
		k, err := c.GetAPIKey(ctx, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s (ID %d, version %d)\nstatus:      %s\ndescription: %s\ncreated:     %s\n\n",
			k.Name, k.ID, k.Version, k.Status, oneLine(k.Description), k.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
		if len(k.Connections) == 0 {
			fmt.Fprintln(stdout, "not connected to any stage: connect it with `portico plans add-key PLAN SERVICE STAGE KEY`")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tSTAGE\tPLAN\tRPS\tQUOTA\tUSED")
		for _, cn := range k.Connections {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cn.ServiceID, stageLabel(cn.StageName), cn.PlanName,
				rpsLabel(cn.RPS), quotaLabel(cn.Quota.Period, cn.Quota.Limit), usedLabel(cn.Quota))
		}
		return tw.Flush()
	case verb == "set" && len(pos) == 2:
		var p admin.APIKeyPatch
		if set["status"] {
			v := strings.ToUpper(*status)
			p.Status = &v
		}
		if set["name"] {
			p.Name = name
		}
		if set["description"] {
			p.Description = description
		}
		if p == (admin.APIKeyPatch{}) {
			return usagef("keys set needs --status, --name or --description")
		}
		k, err := c.UpdateAPIKey(ctx, pos[1], p, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s is %s (version %d)\n", k.Name, k.Status, k.Version)
		return nil
	case verb == "regenerate" && len(pos) == 3:
		which := strings.ToLower(pos[2])
		if which != storage.KeyPrimary && which != storage.KeySecondary {
			return usagef("keys regenerate KEY primary|secondary: %q is neither", pos[2])
		}
		k, err := c.RegenerateAPIKey(ctx, pos[1], which, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "regenerated the %s value of API key %s; the old value no longer works\n", which, k.Name)
		printValues(stdout, k)
		return nil
	case verb == "rm" && len(pos) == 2:
		if err := c.DeleteAPIKey(ctx, pos[1], 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed API key %s\n", pos[1])
		return nil
	}
	return usagef("%s", keysUsage)
}

// printValues prints the values a create or regenerate returned, with the warning that this is the only time.
func printValues(w io.Writer, k admin.APIKeyWithValues) {
	if k.PrimaryKey != "" {
		fmt.Fprintf(w, "primary key:   %s\n", k.PrimaryKey)
	}
	if k.SecondaryKey != "" {
		fmt.Fprintf(w, "secondary key: %s\n", k.SecondaryKey)
	}
	fmt.Fprintln(w, "These values are shown once, now: store them safely. Portico keeps only their SHA-256 hashes "+
		"and cannot show them again (regenerate to get a new one).")
}

// setFlags lists the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func connectionsLabel(cs []storage.KeyConnection) string {
	if len(cs) == 0 {
		return "-"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s/%s (%s)", c.ServiceID, stageLabel(c.StageName), c.PlanName)
	}
	return strings.Join(parts, ", ")
}

func rpsLabel(rps int) string {
	if rps == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/s", rps)
}

func quotaLabel(period string, limit int64) string {
	if period == "" || period == storage.QuotaNone {
		return "-"
	}
	return fmt.Sprintf("%d/%s", limit, strings.ToLower(period))
}

func usedLabel(q storage.QuotaUse) string {
	if q.Period == "" || q.Period == storage.QuotaNone {
		return "-"
	}
	return fmt.Sprintf("%d", q.Used)
}

// oneLine keeps a description on one table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
