package protocol

// LoginRequest is table 2, the data item of `login` (安全认证请求数据).
type LoginRequest struct {
	// UserID is the account the platform assigned to the parking system.
	UserID string `json:"userId"`
	// Password is Base64(SM3(plaintext)) (GM/T 0004); see PasswordDigest.
	Password string `json:"password"`
}

// NewLoginRequest returns the login item for a plaintext password.
func NewLoginRequest(userID, plaintext string) LoginRequest {
	return LoginRequest{UserID: userID, Password: PasswordDigest(plaintext)}
}

// RequiredFields implements Item.
func (LoginRequest) RequiredFields() []string { return []string{"userId", "password"} }

// Validate checks table 2: userId at most 32, password at most 64.
func (r LoginRequest) Validate() error {
	var c checker
	c.str("userId", r.UserID, true, 32)
	c.str("password", r.Password, true, 64)
	return c.result()
}

// LoginResponse is table 3, the answer to `login`.
type LoginResponse struct {
	AccessToken string `json:"accessToken"` // 32 characters
}
