package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"myally.app/ally/internal/changelog"
)

func init() {
	RegisterCommand("changelog", Command{"publish to What's new: ally changelog publish --title T --body-file F [--policy-change --effective YYYY-MM-DD]", cmdChangelog})
}

func cmdChangelog(ctx context.Context, env Env) error {
	usage := func() error {
		fmt.Fprintln(env.Stderr, "usage: ally changelog publish --title TITLE --body-file FILE [--policy-change --effective YYYY-MM-DD]")
		fmt.Fprintln(env.Stderr, "       publishes an entry now; a policy change is emailed to every active user (FILE - reads standard input)")
		return exitError{2}
	}
	if len(env.Args) == 0 || env.Args[0] != "publish" {
		return usage()
	}
	fs := flag.NewFlagSet("changelog publish", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	title := fs.String("title", "", "the entry's title (markdown)")
	bodyFile := fs.String("body-file", "", "file holding the entry's body (markdown); - for standard input")
	policy := fs.Bool("policy-change", false, "the entry changes the privacy policy or terms: every active user is emailed")
	effective := fs.String("effective", "", "the date the policy change takes effect (YYYY-MM-DD, at least ALLY_POLICY_NOTICE_DAYS ahead)")
	if err := fs.Parse(env.Args[1:]); err != nil || fs.NArg() > 0 {
		return usage()
	}
	if *effective != "" && !*policy {
		fmt.Fprintln(env.Stderr, "ally changelog: --effective goes with --policy-change")
		return exitError{2}
	}
	var body []byte
	var err error
	switch *bodyFile {
	case "":
	case "-":
		body, err = io.ReadAll(os.Stdin)
	default:
		body, err = os.ReadFile(*bodyFile)
	}
	if err != nil {
		return fmt.Errorf("read the body: %w", err)
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	defer m.Close()
	b := string(body)
	d := changelog.Draft{Title: title, Body: &b, PolicyChange: policy}
	if *policy {
		d.EffectiveAt = effective
	}
	e, err := m.Changelog.PublishNew(ctx, "", d) // no account: the audit log records the command line
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "published %q (id %s)\n", e.Title, e.ID)
	if e.PolicyChange {
		fmt.Fprintf(env.Stdout, "policy change effective %s: the notice to every active user is queued and goes out from the running server\n",
			e.EffectiveAt.Format("2006-01-02"))
	}
	return nil
}
