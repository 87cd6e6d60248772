package main

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestImageHoldsARunnableBinary builds the real binary statically, packages it, reads the
// image back from the tarball as a runtime would, extracts /ally from its layer and runs
// `ally version`.
func TestImageHoldsARunnableBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ally")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "myally.app/ally/cmd/ally")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	certs := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(certs, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image.tar")
	if err := run([]string{"-binary", bin, "-ca-certs", certs, "-out", out, "-tag", "ally:test"}); err != nil {
		t.Fatal(err)
	}

	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatalf("read the image back: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !slices.Contains(c.Env, "ALLY_DATA_DIR=/data") || !slices.Equal(c.Entrypoint, []string{"/ally"}) {
		t.Fatalf("config: user %q env %v entrypoint %v", c.User, c.Env, c.Entrypoint)
	}
	if _, ok := c.Volumes["/data"]; !ok || c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/ally", "healthcheck"}) {
		t.Fatalf("config: volumes %v healthcheck %+v", c.Volumes, c.Healthcheck)
	}

	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*tar.Header{}
	extracted := filepath.Join(dir, "from-image")
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
		if h.Name == "ally" {
			f, _ := os.OpenFile(extracted, os.O_CREATE|os.O_WRONLY, 0o755)
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if h.Name == "etc/passwd" {
			b, _ := io.ReadAll(tr)
			if !strings.Contains(string(b), "ally:x:65532:65532:") {
				t.Fatalf("/etc/passwd: %q", b)
			}
		}
	}
	for _, want := range []string{"ally", "etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "data/", "tmp/"} {
		if files[want] == nil {
			t.Fatalf("the image lacks /%s", want)
		}
	}
	if d := files["data/"]; d.Uid != 65532 || d.Mode&0o777 != 0o700 {
		t.Fatalf("/data: uid %d mode %o, want the non-root user's, 0700", d.Uid, d.Mode)
	}
	got, err := exec.Command(extracted, "version").CombinedOutput()
	if err != nil || !strings.Contains(strings.ToLower(string(got)), "ally") {
		t.Fatalf("ally version from the image: %v %q", err, got)
	}

	// The same inputs give the same image.
	again := filepath.Join(dir, "again.tar")
	if err := run([]string{"-binary", bin, "-ca-certs", certs, "-out", again, "-tag", "ally:test"}); err != nil {
		t.Fatal(err)
	}
	img2, _ := tarball.ImageFromPath(again, nil)
	d1, _ := img.Digest()
	d2, _ := img2.Digest()
	if d1 != d2 {
		t.Fatalf("two builds differ: %s, %s", d1, d2)
	}
}
