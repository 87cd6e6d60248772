// Command allyimage builds Ally's container image without a Docker daemon: the static
// binary, a CA bundle and a non-root user on an empty (scratch) base, written as a tarball
// that `docker load`, `podman load` or `crane push` accept. `make image` runs it; it needs
// no network.
//
//	allyimage -binary bin/ally -out bin/ally-image.tar [-tag ally:dev] [-ca-certs FILE]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "allyimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("allyimage", flag.ContinueOnError)
	binary := fs.String("binary", "bin/ally", "static ally binary to package (CGO_ENABLED=0)")
	out := fs.String("out", "bin/ally-image.tar", "image tarball to write")
	tag := fs.String("tag", "ally:dev", "name and tag recorded in the tarball")
	caCerts := fs.String("ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of trusted CAs to include")
	version := fs.String("version", "dev", "version label")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	img, err := Build(Options{Binary: *binary, CACerts: *caCerts, Created: sourceDate(), Version: *version})
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	d, _ := img.Digest()
	fmt.Printf("image %s (%s) written to %s\n", ref, d, *out)
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH when set (reproducible builds), else the Unix epoch:
// the same inputs always give the same image digest.
func sourceDate() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}
