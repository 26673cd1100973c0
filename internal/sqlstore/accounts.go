package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Accounts, their liveness history and their tokens.

const accountCols = `user_id, password_hash, callback_url, callback_token, disabled,
	created_at, online, state_since, data_key, require_encryption, role`

func scanAccount(s Row) (a platform.Account, err error) {
	err = s.Scan(&a.UserID, &a.PasswordHash, &a.CallbackURL, &a.CallbackToken, &a.Disabled,
		asTime(&a.CreatedAt), &a.Online, asTime(&a.StateSince), &a.DataKey, &a.RequireEncryption, &a.Role)
	return a, err
}

var (
	selectAccount = define("SELECT " + accountCols + " FROM accounts WHERE user_id = ?")
	putAccount    = upsert("accounts", accountCols, "user_id", "")
	allAccounts   = define("SELECT " + accountCols + " FROM accounts ORDER BY user_id")
	// The partial indexes accounts_unavailable and accounts_settings
	// (0010) hold exactly the accounts these select: their conditions are
	// written as the indexes' are, bare boolean columns included.
	unavailable     = define("SELECT user_id, disabled, online FROM accounts WHERE disabled OR NOT online ORDER BY user_id")
	accountSettings = define(`SELECT user_id, data_key, require_encryption, role FROM accounts
		WHERE data_key IS NOT NULL OR require_encryption OR role NOT IN ('', 'plms') ORDER BY user_id`)
	setAccountState  = define("UPDATE accounts SET online = ?, state_since = ? WHERE user_id = ?")
	addLivenessEvent = insert("liveness_events", eventCols)
	livenessHistory  = define(`SELECT ` + eventCols + ` FROM (
			SELECT seq, ` + eventCols + ` FROM liveness_events WHERE user_id = ?
			ORDER BY at DESC, seq DESC LIMIT ?
		) AS latest ORDER BY at, seq`)
)

// Account returns the account userID.
func (t *Tx) Account(userID string) (platform.Account, error) {
	return getOne(t, scanAccount, selectAccount, userID)
}

// PutAccount inserts a or replaces the account with its UserID.
func (t *Tx) PutAccount(a platform.Account) error {
	_, err := t.exec(putAccount, a.UserID, a.PasswordHash, a.CallbackURL, a.CallbackToken, a.Disabled,
		ms(a.CreatedAt), a.Online, ms(a.StateSince), dataKey(a.DataKey), a.RequireEncryption, a.Role)
	return t.wrap("put account", err)
}

// Accounts returns every account by user id.
func (t *Tx) Accounts() ([]platform.Account, error) {
	return getAll(t, scanAccount, allAccounts)
}

// UnavailableAccounts returns the accounts that are disabled or offline,
// by user id.
func (t *Tx) UnavailableAccounts() ([]platform.AccountStatus, error) {
	return getAll(t, func(s Row) (a platform.AccountStatus, err error) {
		err = s.Scan(&a.UserID, &a.Disabled, &a.Online)
		return a, err
	}, unavailable)
}

// AccountSettings returns the accounts whose data key, encryption
// requirement or role is not the default, by user id.
func (t *Tx) AccountSettings() ([]platform.AccountSettings, error) {
	return getAll(t, func(s Row) (a platform.AccountSettings, err error) {
		err = s.Scan(&a.UserID, &a.DataKey, &a.RequireEncryption, &a.Role)
		return a, err
	}, accountSettings)
}

// SetAccountState sets the account's Online and StateSince from e and
// appends e to its history; ErrNotFound when the account does not exist.
func (t *Tx) SetAccountState(e platform.LivenessEvent) error {
	if err := t.execOne(setAccountState, e.Online, ms(e.At), e.UserID); err != nil {
		return t.wrap("set account state", err)
	}
	return t.AddLivenessEvent(e)
}

// AddLivenessEvent appends e to the account's liveness history.
func (t *Tx) AddLivenessEvent(e platform.LivenessEvent) error {
	_, err := t.exec(addLivenessEvent, e.UserID, e.IsvParkID, e.Online, ms(e.At), e.Cause)
	return t.wrap("add liveness event", err)
}

const eventCols = "user_id, isv_park_id, online, at, cause"

func scanEvent(s Row) (e platform.LivenessEvent, err error) {
	err = s.Scan(&e.UserID, &e.IsvParkID, &e.Online, asTime(&e.At), &e.Cause)
	return e, err
}

// LivenessHistory returns the account's events (its own and its parks'),
// oldest first: the latest limit of them when limit > 0, else all.
func (t *Tx) LivenessHistory(userID string, limit int) ([]platform.LivenessEvent, error) {
	return getAll(t, scanEvent, livenessHistory, userID, limitArg(limit))
}

const tokenCols = "value, user_id, issued_at, last_seen"

func scanToken(s Row) (k platform.Token, err error) {
	err = s.Scan(&k.Value, &k.UserID, asTime(&k.IssuedAt), asTime(&k.LastSeen))
	return k, err
}

var (
	putToken            = upsert("tokens", tokenCols, "value", "")
	selectToken         = define("SELECT " + tokenCols + " FROM tokens WHERE value = ?")
	touchToken          = define("UPDATE tokens SET last_seen = ? WHERE value = ?")
	lastSeen            = define("SELECT MAX(last_seen) FROM tokens WHERE user_id = ?")
	deleteTokensBefore  = define("DELETE FROM tokens WHERE last_seen < ?")
	deleteAccountTokens = define("DELETE FROM tokens WHERE user_id = ?")
)

// PutToken inserts k or replaces the token with its Value.
func (t *Tx) PutToken(k platform.Token) error {
	_, err := t.exec(putToken, k.Value, k.UserID, ms(k.IssuedAt), ms(k.LastSeen))
	return t.wrap("put token", err)
}

// Token returns the token value.
func (t *Tx) Token(value string) (platform.Token, error) {
	return getOne(t, scanToken, selectToken, value)
}

// TouchToken sets the token's LastSeen to at; ErrNotFound when there is no
// such token.
func (t *Tx) TouchToken(value string, at time.Time) error {
	return t.wrap("touch token", t.execOne(touchToken, ms(at), value))
}

// LastSeen returns the latest LastSeen of the account's tokens, or the
// zero time when it has none.
func (t *Tx) LastSeen(userID string) (time.Time, error) {
	return getOne(t, scanMaybeTime, lastSeen, userID)
}

// DeleteTokensBefore removes the tokens last seen before at and returns
// how many it removed.
func (t *Tx) DeleteTokensBefore(at time.Time) (int, error) {
	return t.count("delete tokens", deleteTokensBefore, ms(at))
}

// DeleteAccountTokens removes every token of userID and returns how many
// there were.
func (t *Tx) DeleteAccountTokens(userID string) (int, error) {
	return t.count("delete account tokens", deleteAccountTokens, userID)
}
