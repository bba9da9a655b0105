// Package docs embeds the API contract, docs/openapi.yaml, so that the
// binary serves the very file the tests check the routes against
// (GET /api/v1/openapi.yaml and .json, and the reference page at
// /docs/api). It is a package of its own because go:embed reaches only
// files at or below the embedding package's directory.
package docs

import (
	_ "embed"
)

// OpenAPI is docs/openapi.yaml as built into the binary.
//
//go:embed openapi.yaml
var OpenAPI []byte
