package sqlite

import (
	"strings"
	"testing"
)

// TestReadQueriesUseIndexes checks that the read side's queries on large
// tables are served by an index and not by a scan of the table: the plan
// of each names the index meant for it.
func TestReadQueriesUseIndexes(t *testing.T) {
	s := openTemp(t, Options{})
	queries := map[string]struct {
		query string
		args  []any
		index []string
	}{
		"RecentRecords enter": {"SELECT id FROM enter_records WHERE isv_park_id = ? ORDER BY at DESC, id DESC LIMIT 10",
			[]any{"p"}, []string{"enter_records_park_at"}},
		"RecentRecords exit": {"SELECT id FROM exit_records WHERE isv_park_id = ? ORDER BY at DESC, id DESC LIMIT 10",
			[]any{"p"}, []string{"exit_records_park_at"}},
		"ParkLiveness": {"SELECT seq FROM liveness_events WHERE isv_park_id = ? ORDER BY at DESC, seq DESC LIMIT 10",
			[]any{"p"}, []string{"liveness_events_park_at"}},
		"Reservations": {"SELECT book_code FROM reservations WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC, book_code LIMIT 10",
			[]any{0, 1}, []string{"reservations_created_at"}},
		"VacancyHours": {"SELECT isv_park_id, at - at % 3600000 AS hour, COUNT(*) FROM vacancy_series WHERE at >= ? AND at < ? GROUP BY hour, isv_park_id",
			[]any{0, 1}, []string{"vacancy_series_at"}},
	}
	for name, q := range queries {
		plan := explain(t, s, q.query, q.args...)
		for _, index := range q.index {
			if !strings.Contains(plan, index) {
				t.Errorf("%s: plan %q does not use %s", name, plan, index)
			}
		}
	}
	// RecordCounts (internal/sqlstore) reads both record tables park by
	// park.
	plan := explain(t, s, recordCountsQuery, 0, 1, 0, 1)
	for _, index := range []string{"enter_records_park_at", "exit_records_park_at"} {
		if !strings.Contains(plan, index) {
			t.Errorf("RecordCounts: plan %q does not use %s", plan, index)
		}
	}
	if strings.Contains(plan, "SCAN r") {
		t.Errorf("RecordCounts: plan %q scans a record table", plan)
	}
}

// explain returns the details of query's plan, separated by "; ".
func explain(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "; "
	}
	return plan
}

// recordCountsQuery is the statement of RecordCounts in internal/sqlstore.
const recordCountsQuery = `SELECT isv_park_id, hour, CAST(SUM(entries) AS BIGINT), CAST(SUM(exits) AS BIGINT) FROM (
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, COUNT(*) AS entries, 0 AS exits
			FROM parks p CROSS JOIN enter_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
			UNION ALL
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, 0 AS entries, COUNT(*) AS exits
			FROM parks p CROSS JOIN exit_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
		) AS counts GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`
