package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/runtime/admin"
	"github.com/portico-gateway/portico/runtime/node"
)

// clientFlags are the flags every client command shares.
type clientFlags struct {
	server  string
	token   string
	dataDir string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("PORTICO_SERVER")
	if def == "" {
		def = "http://" + node.DefaultAdminListen
	}
	fs.StringVar(&c.server, "server", def, "admin API URL ($PORTICO_SERVER)")
	fs.StringVar(&c.token, "token", "", "admin API token (default $PORTICO_TOKEN, else DATA/admin.token)")
	fs.StringVar(&c.dataDir, "data", node.DefaultDataDir, "data directory whose admin.token to use")
}

// client builds an admin API client. The token comes from --token, $PORTICO_TOKEN, or the local data dir.
func (c *clientFlags) client() (*admin.Client, error) {
	token := c.token
	if token == "" {
		token = os.Getenv("PORTICO_TOKEN")
	}
	if token == "" {
		path := filepath.Join(c.dataDir, "admin.token")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("no admin token: set $PORTICO_TOKEN, pass --token, or run where %s exists (%v)", path, err)
		}
		token = strings.TrimSpace(string(b))
	}
	return admin.NewClient(strings.TrimSuffix(c.server, "/"), token), nil
}

// stageArg maps the CLI's names of the default stage ("" and "default") to its real name "".
func stageArg(s string) string {
	if s == "default" {
		return ""
	}
	return s
}

func stageLabel(s string) string {
	if s == "" {
		return "(default)"
	}
	return s
}

func runApply(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("apply")
	var cf clientFlags
	cf.register(fs)
	file := fs.String("f", "", "configuration file (YAML)")
	dryRun := fs.Bool("dry-run", false, "show what would change without changing anything")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *file == "" || len(pos) > 0 {
		return usagef("apply needs -f FILE and no other arguments")
	}
	doc, err := config.ParseFile(*file)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	path := "/v1/apply"
	if *dryRun {
		path += "?dryRun=true"
	}
	var res config.Result
	if err := c.Do(ctx, http.MethodPost, path, doc, &res); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	for _, ch := range res.Changes {
		fmt.Fprintf(stdout, "%-10s %s\n", ch.Action, ch.Object)
	}
	// API key values the apply generated (keys.go): shown this once.
	for _, g := range res.GeneratedKeys {
		fmt.Fprintf(stdout, "%s key of %s: %s\n", g.Which, g.Name, g.Value)
	}
	if len(res.GeneratedKeys) > 0 {
		fmt.Fprintln(stdout, "These API key values are shown once, now: store them safely. Portico keeps only "+
			"their SHA-256 hashes.")
	}
	if *dryRun {
		fmt.Fprintln(stdout, "(dry run: nothing was changed)")
	}
	return nil
}

func runExport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("export")
	var cf clientFlags
	cf.register(fs)
	out := fs.String("o", "", "write to FILE instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("export takes no arguments")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var doc config.Document
	if err := c.Do(ctx, http.MethodGet, "/v1/export", nil, &doc); err != nil {
		return err
	}
	data, err := doc.Marshal()
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o600)
}

func runDeploy(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("deploy")
	var cf clientFlags
	cf.register(fs)
	msg := fs.String("m", "", "deployment description")
	noApply := fs.Bool("no-apply", false, "deploy the stage as it is, without applying the current resources")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("deploy needs SERVICE and STAGE")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	d, err := c.Deploy(ctx, pos[0], stageArg(pos[1]), *msg, !*noApply)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployed %s stage %s as deployment %d\n", d.ServiceID, stageLabel(d.StageName), d.ID)
	return nil
}

func runHistory(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("history")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("history needs SERVICE and STAGE")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	list, err := c.ListDeployments(ctx, pos[0], stageArg(pos[1]))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tSTATUS\tDEPLOYED\tBASE\tDESCRIPTION")
	for _, d := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), d.Status,
			mark(d.Deployed), mark(d.Base), d.Description)
	}
	return tw.Flush()
}

func mark(b bool) string {
	if b {
		return "*"
	}
	return ""
}

func runRollback(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("rollback")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("rollback needs SERVICE, STAGE and DEPLOYMENT")
	}
	id, err := strconv.ParseInt(pos[2], 10, 64)
	if err != nil {
		return usagef("DEPLOYMENT must be a deployment ID (see portico history), got %q", pos[2])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	st, err := c.Rollback(ctx, pos[0], stageArg(pos[1]), id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "stage %s of %s now holds deployment %d; run `portico deploy %s %s --no-apply` to serve it\n",
		stageLabel(st.Name), st.ServiceID, id, pos[0], quoteStage(st.Name))
	return nil
}

func quoteStage(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

func runStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("status")
	var cf clientFlags
	cf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("status takes no arguments")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "portico %s, up since %s, ready=%v\n", st.Version, st.StartedAt.UTC().Format("2006-01-02 15:04:05Z"), st.Ready)
	fmt.Fprintf(stdout, "listen: %s  domain: %s\n", strings.Join(st.Listen, ", "), st.Domain)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTAGE\tDEPLOYMENT\tURL")
	for _, s := range st.Stages {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.ServiceID, stageLabel(s.StageName), s.DeploymentID, s.URL)
	}
	return tw.Flush()
}
