//go:build !unix

package workload

import "fmt"

// checkSocketPath cannot read file owners on this platform, so it refuses
// every path: [WithSecuredTransport] is the vendor's way through.
func checkSocketPath(path string, _ []uint32) error {
	return fmt.Errorf("%w: cannot check the owner of a socket path on this platform", ErrTransport)
}
