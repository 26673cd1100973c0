package console

import (
	"embed"
	"io/fs"
)

// webFS holds the operator console's page: index.html, app.js and
// app.css, plain files with no build step, served at /console/. The page
// talks only to the JSON API of docs/console-api.md and fetches nothing
// from elsewhere (map tiles only when the city configures a tile URL).
//
//go:embed web
var webFS embed.FS

// Assets returns the console's page files, rooted at the web folder.
func Assets() fs.FS {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // "web" is embedded above; fs.Sub fails only on a bad name
	}
	return sub
}
