//go:build tools

// Pins the Temporal server and its SQL schema tool for scripts/setup.sh, which builds
// go.temporal.io/server/cmd/server and cmd/tools/sql from this module (the Go proxy refuses
// version lists here, so `go install …@version` cannot be used).
package tools

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
