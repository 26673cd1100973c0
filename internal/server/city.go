package server

import "github.com/parkd/parkd/internal/city"

// loadCity reads Config.CityFile, when set, into Config.City.
func loadCity(cfg Config) (Config, error) {
	if cfg.CityFile == "" {
		return cfg, nil
	}
	c, err := city.Load(cfg.CityFile)
	if err != nil {
		return cfg, err
	}
	cfg.City = c
	return cfg, nil
}
