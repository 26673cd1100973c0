package e2e

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// guangzhouFile is the example second city shipped in docs/examples.
var guangzhouFile = filepath.Join("..", "..", "docs", "examples", "city-guangzhou.json")

// tianhePark is a park in Guangzhou's Tianhe district.
func tianhePark(code string) protocol.ParkInfo {
	p := parkInfo(code)
	p.ParkName, p.Address = "天河体育中心停车场", "广州市天河区天河路299号"
	p.AreaCode, p.Longitude, p.Latitude = "440106", 113.3612, 23.1247
	return p
}

func TestAnotherCityAcceptsItsOwnParksOnly(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{CityFile: guangzhouFile}})
	token := vendor(t, srv, vendorA)

	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{tianhePark(parkA)})
	wantOK(t, resp)
	out := decode[protocol.ParkInfoResponse](t, resp)
	gate := entrance(parkA, "GATE01", "北门入口")
	gate.Longitude, gate.Latitude = 113.3615, 23.1250
	wantOK(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{gate}))

	shenzhenCode := tianhePark(parkB)
	shenzhenCode.AreaCode = "440304"
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{tianhePark(recordID(9)), shenzhenCode}),
		protocol.CodeRange, "data[1].areaCode")

	shenzhenPlace := tianhePark(parkB)
	shenzhenPlace.Longitude, shenzhenPlace.Latitude = 114.131, 22.548 // Luohu
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{shenzhenPlace}), protocol.CodeRange, "data[0].longitude")

	north := tianhePark(parkB)
	north.Latitude = 24.5 // Shaoguan, north of the city
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{north}), protocol.CodeRange, "data[0].latitude")

	farGate := entrance(parkA, "GATE02", "南门出口")
	farGate.Longitude, farGate.Latitude = 114.131, 22.548
	wantCode(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{farGate}), protocol.CodeRange, "data[0].longitude")

	view(t, srv, func(tx platform.Tx) error {
		parks, err := tx.ParksOf(vendorA)
		if err != nil {
			return err
		}
		if len(parks) != 1 || parks[0].IsvParkID != out[0].IsvParkID || parks[0].AreaCode != "440106" {
			t.Errorf("stored parks %+v, want only the Tianhe park", parks)
		}
		gates, err := tx.Entrances(out[0].IsvParkID)
		if err != nil {
			return err
		}
		if len(gates) != 1 || gates[0].Code != "GATE01" {
			t.Errorf("stored entrances %+v, want only GATE01", gates)
		}
		return nil
	})
	// The public map shows the city it serves.
	status, raw := srv.Do(t, http.MethodGet, "/api/v1/public/city", "", "", nil, nil)
	var pc struct {
		Name    string            `json:"name"`
		Regions map[string]string `json:"regions"`
		Center  struct{ Lng, Lat float64 }
	}
	if err := json.Unmarshal(raw, &pc); status != http.StatusOK || err != nil {
		t.Fatalf("GET /api/v1/public/city: HTTP %d %v: %s", status, err, raw)
	}
	if pc.Name != "广州市" || len(pc.Regions) != 11 || pc.Regions["440106"] != "天河区" || pc.Center.Lng != 113.2644 {
		t.Errorf("public city %s, want Guangzhou's", raw)
	}
}

func TestShenzhenRefusesParksOutsideItsBounds(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	p := parkInfo(parkA)
	p.Longitude, p.Latitude = 113.3612, 23.1247 // Guangzhou, with a Shenzhen area code
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{p}), protocol.CodeRange, "data[0].longitude")
	view(t, srv, func(tx platform.Tx) error {
		if _, err := tx.Park(vendorA, parkA); !platform.IsNotFound(err) {
			t.Errorf("park stored: %v", err)
		}
		return nil
	})
}

func TestABadCityFileStopsTheServer(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "city.json")
	if err := os.WriteFile(bad, []byte(`{"name":"x","regions":{"440106":"天河区"},"bounds":{"minLng":113,"minLat":22,"maxLng":114,"maxLat":23},"center":{"lng":113.5,"lat":22.5},"zoom":25}`), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), CityFile: bad}, nil, log)
	if err == nil {
		srv.Close()
		t.Fatal("server.New accepted a zoom of 25")
	}
	if !strings.Contains(err.Error(), "zoom") || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %q does not name the file and zoom", err)
	}
}
