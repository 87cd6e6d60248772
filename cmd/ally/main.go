// Command ally is Ally's single binary: `ally serve` runs the whole service; other
// subcommands migrate, check and administer it. Run `ally help` for the list.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"myally.app/ally/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := app.CLI(ctx, app.Env{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
