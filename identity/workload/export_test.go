package workload

import "time"

// SetClock replaces the server's clock (the JWT bundle stream's measure of
// how long the key store has not answered).
func SetClock(s *Server, now func() time.Time) { s.now = now }
