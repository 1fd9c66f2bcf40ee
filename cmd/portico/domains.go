package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/portico-gateway/portico/runtime/admin"
)

// runDomains manages custom domains: `portico domains ls`, `portico domains add HOST SERVICE STAGE [--base-path P]`,
// `portico domains rm HOST`.
func runDomains(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("domains")
	var cf clientFlags
	cf.register(fs)
	basePath := fs.String("base-path", "", "requests must start with this path, which is stripped before routing")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("domains needs ls, add or rm")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	switch verb := pos[0]; {
	case verb == "ls" && len(pos) == 1:
		list, err := c.ListDomains(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tSERVICE\tSTAGE\tBASE PATH")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Host, d.ServiceID, stageLabel(d.StageName), d.BasePath)
		}
		return tw.Flush()
	case verb == "add" && len(pos) == 4:
		svc, err := c.GetService(ctx, pos[2])
		if err != nil {
			return err
		}
		d, err := c.CreateDomain(ctx, admin.DomainInput{Host: pos[1], ServiceID: svc.ID, StageName: stageArg(pos[3]),
			BasePath: *basePath})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s now serves %s stage %s\n", d.Host, d.ServiceID, stageLabel(d.StageName))
		return nil
	case verb == "rm" && len(pos) == 2:
		if err := c.DeleteDomain(ctx, pos[1], 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s\n", pos[1])
		return nil
	}
	return usagef("domains: use `domains ls`, `domains add HOST SERVICE STAGE [--base-path P]` or `domains rm HOST`")
}
