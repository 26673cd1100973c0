-- 0010: partial indexes for the two shared account reads every instance
-- makes at most every 5 s (platform.Tx UnavailableAccounts and
-- AccountSettings), so that each reads only the accounts it returns, not
-- the whole table (100,000 rows for a city's lots).

CREATE INDEX accounts_unavailable ON accounts (user_id) WHERE disabled OR NOT online;
CREATE INDEX accounts_settings ON accounts (user_id)
    WHERE data_key IS NOT NULL OR require_encryption OR role NOT IN ('', 'plms');
