// Package console holds the admin console's build (dist/, made by Vite from
// src/ with `npm run build`), embedded in the console function.
package console

import (
	"embed"
	"io/fs"
)

// dist holds the build; before the first build it has only its placeholder,
// and the console function answers 503.
//
//go:embed all:dist
var dist embed.FS

// Files is the build, rooted at its index.html.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it exists
	}
	return sub
}
