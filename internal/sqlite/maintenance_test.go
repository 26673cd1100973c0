package sqlite

import (
	"strings"
	"testing"
)

// TestMaintenanceQueriesUseIndexes checks that the purges and the
// picture queries of retention are served by the indexes of migration
// 0003 rather than by a scan of the table.
func TestMaintenanceQueriesUseIndexes(t *testing.T) {
	s := openTemp(t, Options{})
	queries := map[string]struct {
		query string
		args  []any
		index string
	}{
		"PurgeVacancySeries": {`DELETE FROM vacancy_series WHERE seq IN (
			SELECT seq FROM vacancy_series WHERE at < ? ORDER BY at, seq LIMIT ?)`,
			[]any{0, 10}, "vacancy_series_at"},
		"PurgeHistory": {`DELETE FROM history WHERE seq IN (
			SELECT seq FROM history WHERE changed_at < ? ORDER BY changed_at, seq LIMIT ?)`,
			[]any{0, 10}, "history_changed_at"},
		"PurgeWarnings": {`DELETE FROM warnings WHERE seq IN (
			SELECT seq FROM warnings WHERE at < ? ORDER BY at, seq LIMIT ?)`,
			[]any{0, 10}, "warnings_at"},
		"PurgeVerifications": {`DELETE FROM verifications WHERE (isv_park_id, hour) IN (
			SELECT isv_park_id, hour FROM verifications WHERE at < ?
			ORDER BY at, isv_park_id, hour LIMIT ?)`,
			[]any{0, 10}, "verifications_at"},
		"OldPictures": {`SELECT id FROM pictures WHERE received_at < ?
			ORDER BY received_at, user_id, park_code, id LIMIT ?`,
			[]any{0, 10}, "pictures_received_at"},
		"PictureHashInUse": {"SELECT 1 FROM pictures WHERE hash = ? LIMIT 1",
			[]any{"h"}, "pictures_hash"},
	}
	for name, q := range queries {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, q.index) {
			t.Errorf("%s: plan %q does not use %s", name, plan, q.index)
		}
		// "SCAN t USING INDEX" walks an index in order (and stops at the
		// bound); a bare "SCAN t" reads the whole table.
		for _, step := range strings.Split(plan, "; ") {
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " INDEX ") {
				t.Errorf("%s: plan %q scans a table", name, plan)
			}
		}
	}
}
