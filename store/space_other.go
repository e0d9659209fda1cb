//go:build !unix

package store

// statfsFree is not implemented here: nil disables the check.
var statfsFree func(string) (uint64, error)
