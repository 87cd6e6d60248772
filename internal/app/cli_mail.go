package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"myally.app/ally/internal/auth"
	"myally.app/ally/internal/mail"
)

func init() {
	RegisterCommand("mail", Command{"read the mail outbox: ally mail list [--json] [--to ADDRESS] [--limit N]", cmdMail})
}

func cmdMail(ctx context.Context, env Env) error {
	if len(env.Args) == 0 || env.Args[0] != "list" {
		fmt.Fprintln(env.Stderr, "usage: ally mail list [--json] [--to ADDRESS] [--limit N]")
		return exitError{2}
	}
	fs := flag.NewFlagSet("mail list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print JSON: to, subject, text, html, created_at (newest first)")
	to := fs.String("to", "", "only messages to this address")
	limit := fs.Int("limit", 50, "at most this many messages")
	if err := fs.Parse(env.Args[1:]); err != nil {
		return exitError{2}
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	defer m.Close()
	list, err := mail.List(ctx, m.DB, mail.Filter{To: auth.NormalizeEmail(*to), Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tSTATUS\tTO\tSUBJECT")
	for _, x := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.CreatedAt.Format("2006-01-02 15:04:05"), x.Status, x.To, strings.TrimSpace(x.Subject))
	}
	return tw.Flush()
}
