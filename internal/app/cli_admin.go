package app

import (
	"context"
	"flag"
	"fmt"
)

func init() {
	RegisterCommand("admin", Command{"manage accounts: ally admin create|suspend|unsuspend --email ADDRESS", cmdAdmin})
}

func cmdAdmin(ctx context.Context, env Env) error {
	usage := func() error {
		fmt.Fprintln(env.Stderr, "usage: ally admin create --email ADDRESS     make ADDRESS an admin (creating the account if needed)")
		fmt.Fprintln(env.Stderr, "       ally admin suspend --email ADDRESS    block the account and sign it out everywhere")
		fmt.Fprintln(env.Stderr, "       ally admin unsuspend --email ADDRESS  let a suspended account sign in again")
		return exitError{2}
	}
	if len(env.Args) == 0 {
		return usage()
	}
	sub := env.Args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "the account's email address")
	if err := fs.Parse(env.Args[1:]); err != nil || *email == "" {
		return usage()
	}
	if sub != "create" && sub != "suspend" && sub != "unsuspend" {
		return usage()
	}
	m, err := openMain(ctx, env)
	if err != nil {
		return err
	}
	defer m.Close()
	switch sub {
	case "create":
		u, link, err := m.Auth.MakeAdmin(ctx, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is an admin\n", u.Email)
		if link != "" {
			fmt.Fprintf(env.Stdout, "The account is new; set its password within an hour at:\n%s\n", link)
		}
	case "suspend":
		u, err := m.Auth.Suspend(ctx, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is suspended and signed out everywhere\n", u.Email)
	case "unsuspend":
		u, err := m.Auth.Unsuspend(ctx, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s can sign in again\n", u.Email)
	}
	return nil
}
