package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// benchParks stores n parks whose Info is a ~1 KB parkInfo with permit
// "P-<i>", and returns their ids.
func benchParks(b *testing.B, s *Store, n int) []string {
	b.Helper()
	ids := make([]string, n)
	err := s.Update(b.Context(), func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "v", CreatedAt: time.Now(), StateSince: time.Now()}); err != nil {
			return err
		}
		for i := range n {
			info, _ := json.Marshal(map[string]any{"parkName": "停车场", "parkCode": fmt.Sprintf("%032d", i),
				"permitNo": fmt.Sprintf("P-%d", i), "address": strings.Repeat("深圳市福田区", 120)})
			ids[i] = fmt.Sprintf("%032x", i)
			p := platform.Park{IsvParkID: ids[i], UserID: "v", ParkCode: fmt.Sprintf("%032d", i), Info: info}
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// BenchmarkParkLookup compares finding a park by permit number (the
// off-peak interfaces' permitNo) with finding it by isvParkId, among
// 5,000 parks.
func BenchmarkParkLookup(b *testing.B) {
	s := openTemp(b, Options{})
	ids := benchParks(b, s, 5000)
	b.Run("byIsvParkId", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			err := s.View(b.Context(), func(tx platform.Tx) error {
				_, err := tx.ParkByID(ids[i%len(ids)])
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("byPermitNo", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			err := s.View(b.Context(), func(tx platform.Tx) error {
				ps, err := tx.ParksByPermitNo(fmt.Sprintf("P-%d", i%len(ids)))
				if err == nil && len(ps) != 1 {
					err = fmt.Errorf("%d parks", len(ps))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
