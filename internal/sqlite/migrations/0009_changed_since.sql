-- 0009: indexes of the incremental reads of the public snapshot
-- (platform.ReadTx ParksChangedSince and VacanciesSince): the parks and
-- the live vacancies changed since a time.

-- ParksChangedSince: parks by UpdatedAt.
CREATE INDEX parks_updated_at ON parks (updated_at);
-- VacanciesSince: live vacancies by At.
CREATE INDEX vacancy_at ON vacancy (at);
