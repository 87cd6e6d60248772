// Package web holds the built web app (the SPA in this directory, built into dist/ and
// committed), so the ally binary serves it without Node being installed.
package web

import "embed"

// Dist is the built web app: index.html and the hashed files under assets/.
//
//go:embed all:dist
var Dist embed.FS
