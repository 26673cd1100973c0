package server

import "github.com/parkd/parkd/internal/console"

// console returns the operator console of s: operators and sessions in
// the store, pictures from the blob store, districts from the city, and
// the per-account answer codes that the metrics count.
func (s *Server) console() *console.Server {
	c := s.Config.City
	c.Regions = s.Config.Regions
	return console.New(console.Config{Store: s.Store, Blobs: s.Blobs, City: c, Now: s.API.Now, Log: s.Log,
		Codes: s.Metrics.AccountCodes, IdleTimeout: s.Config.ConsoleIdleTimeout, PasswordMaxAge: s.Config.OperatorPasswordMaxAge,
		BcryptCost: s.Config.OperatorBcryptCost})
}
