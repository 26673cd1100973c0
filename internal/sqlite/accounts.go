package sqlite

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Accounts, their liveness history and their tokens.

const accountCols = `user_id, password_hash, callback_url, callback_token, disabled,
	created_at, online, state_since, data_key, require_encryption, role`

func scanAccount(s scanner) (a platform.Account, err error) {
	err = s.Scan(&a.UserID, &a.PasswordHash, &a.CallbackURL, &a.CallbackToken, &a.Disabled,
		asTime(&a.CreatedAt), &a.Online, asTime(&a.StateSince), &a.DataKey, &a.RequireEncryption, &a.Role)
	return a, err
}

// Account returns the account userID.
func (t *tx) Account(userID string) (platform.Account, error) {
	return getOne(t, scanAccount, "SELECT "+accountCols+" FROM accounts WHERE user_id = ?", userID)
}

// PutAccount inserts a or replaces the account with its UserID.
func (t *tx) PutAccount(a platform.Account) error {
	_, err := t.exec(`INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,
			callback_url = excluded.callback_url, callback_token = excluded.callback_token,
			disabled = excluded.disabled, created_at = excluded.created_at,
			online = excluded.online, state_since = excluded.state_since,
			data_key = excluded.data_key, require_encryption = excluded.require_encryption,
			role = excluded.role`,
		a.UserID, a.PasswordHash, a.CallbackURL, a.CallbackToken, a.Disabled,
		ms(a.CreatedAt), a.Online, ms(a.StateSince), dataKey(a.DataKey), a.RequireEncryption, a.Role)
	return wrap("put account", err)
}

// Accounts returns every account by user id.
func (t *tx) Accounts() ([]platform.Account, error) {
	return getAll(t, scanAccount, "SELECT "+accountCols+" FROM accounts ORDER BY user_id")
}

// UnavailableAccounts returns the accounts that are disabled or offline,
// by user id.
func (t *tx) UnavailableAccounts() ([]platform.AccountStatus, error) {
	return getAll(t, func(s scanner) (platform.AccountStatus, error) {
		var a platform.AccountStatus
		err := s.Scan(&a.UserID, &a.Disabled, &a.Online)
		return a, err
	}, "SELECT user_id, disabled, online FROM accounts WHERE disabled OR NOT online ORDER BY user_id")
}

// settingsWhere selects the accounts with settings other than the
// defaults; the partial index accounts_settings (0010) holds exactly them.
const settingsWhere = `data_key IS NOT NULL OR require_encryption OR role NOT IN ('', 'plms')`

// AccountSettings returns the accounts whose data key, encryption
// requirement or role is not the default, by user id.
func (t *tx) AccountSettings() ([]platform.AccountSettings, error) {
	return getAll(t, func(s scanner) (platform.AccountSettings, error) {
		var a platform.AccountSettings
		err := s.Scan(&a.UserID, &a.DataKey, &a.RequireEncryption, &a.Role)
		return a, err
	}, "SELECT user_id, data_key, require_encryption, role FROM accounts WHERE "+settingsWhere+" ORDER BY user_id")
}

// SetAccountState sets the account's Online and StateSince from e and
// appends e to its history; ErrNotFound when the account does not exist.
func (t *tx) SetAccountState(e platform.LivenessEvent) error {
	err := t.execOne("UPDATE accounts SET online = ?, state_since = ? WHERE user_id = ?",
		e.Online, ms(e.At), e.UserID)
	if err != nil {
		return wrap("set account state", err)
	}
	return t.AddLivenessEvent(e)
}

// AddLivenessEvent appends e to the account's liveness history.
func (t *tx) AddLivenessEvent(e platform.LivenessEvent) error {
	_, err := t.exec(`INSERT INTO liveness_events (user_id, isv_park_id, online, at, cause)
		VALUES (?, ?, ?, ?, ?)`, e.UserID, e.IsvParkID, e.Online, ms(e.At), e.Cause)
	return wrap("add liveness event", err)
}

const eventCols = "user_id, isv_park_id, online, at, cause"

func scanEvent(s scanner) (e platform.LivenessEvent, err error) {
	err = s.Scan(&e.UserID, &e.IsvParkID, &e.Online, asTime(&e.At), &e.Cause)
	return e, err
}

// LivenessHistory returns the account's events (its own and its parks'),
// oldest first: the latest limit of them when limit > 0, else all.
func (t *tx) LivenessHistory(userID string, limit int) ([]platform.LivenessEvent, error) {
	return getAll(t, scanEvent, `SELECT `+eventCols+` FROM (
			SELECT seq, `+eventCols+` FROM liveness_events WHERE user_id = ?
			ORDER BY at DESC, seq DESC`+limitClause(limit)+`
		) AS latest ORDER BY at, seq`, userID)
}

const tokenCols = "value, user_id, issued_at, last_seen"

func scanToken(s scanner) (k platform.Token, err error) {
	err = s.Scan(&k.Value, &k.UserID, asTime(&k.IssuedAt), asTime(&k.LastSeen))
	return k, err
}

// PutToken inserts k or replaces the token with its Value.
func (t *tx) PutToken(k platform.Token) error {
	_, err := t.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?)
		ON CONFLICT (value) DO UPDATE SET user_id = excluded.user_id,
			issued_at = excluded.issued_at, last_seen = excluded.last_seen`,
		k.Value, k.UserID, ms(k.IssuedAt), ms(k.LastSeen))
	return wrap("put token", err)
}

// Token returns the token value.
func (t *tx) Token(value string) (platform.Token, error) {
	return getOne(t, scanToken, "SELECT "+tokenCols+" FROM tokens WHERE value = ?", value)
}

// TouchToken sets the token's LastSeen to at; ErrNotFound when there is no
// such token.
func (t *tx) TouchToken(value string, at time.Time) error {
	err := t.execOne("UPDATE tokens SET last_seen = ? WHERE value = ?", ms(at), value)
	return wrap("touch token", err)
}

// LastSeen returns the latest LastSeen of the account's tokens, or the
// zero time when it has none.
func (t *tx) LastSeen(userID string) (time.Time, error) {
	return getOne(t, scanMaybeTime, "SELECT MAX(last_seen) FROM tokens WHERE user_id = ?", userID)
}

func scanMaybeTime(s scanner) (at time.Time, err error) {
	err = s.Scan(asTime(&at))
	return at, err
}

// DeleteTokensBefore removes the tokens last seen before at and returns
// how many it removed.
func (t *tx) DeleteTokensBefore(at time.Time) (int, error) {
	res, err := t.exec("DELETE FROM tokens WHERE last_seen < ?", ms(at))
	if err != nil {
		return 0, wrap("delete tokens", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("delete tokens", err)
}

// DeleteAccountTokens removes every token of userID and returns how many
// there were.
func (t *tx) DeleteAccountTokens(userID string) (int, error) {
	res, err := t.exec("DELETE FROM tokens WHERE user_id = ?", userID)
	if err != nil {
		return 0, wrap("delete account tokens", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("delete account tokens", err)
}

// dataKey is the stored form of an account's data key: NULL when it has
// none, so an empty key reads back as nil.
func dataKey(k []byte) any {
	if len(k) == 0 {
		return nil
	}
	return k
}
