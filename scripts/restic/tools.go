//go:build tools

// Package tools pins the restic that scripts/setup.sh builds into .tools/bin. Debian 12
// ships restic 0.14; Backstop needs >= 0.17 (restore --overwrite, full snapshot ids).
package tools

import _ "github.com/restic/restic/cmd/restic"
