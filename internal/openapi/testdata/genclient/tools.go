//go:build tools

// Package tools pins the client generator the test runs.
package tools

import _ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
