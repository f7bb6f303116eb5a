package egress

import "net"

// WithInterfaceAddrs replaces net.InterfaceAddrs, the list of the proxy
// host's own addresses, for a test: the test machine has no public
// address of its own.
func WithInterfaceAddrs(f func() ([]net.Addr, error)) Option {
	return func(c *config) error {
		c.interfaceAddrs = f
		return nil
	}
}
