package docs

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/padding"
	"github.com/emmansun/gmsm/sm4"

	"github.com/parkd/parkd/protocol"
)

// readContract returns protocol.md.
func readContract(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// example is one known-answer block of protocol.md §10: the lines of a
// ```text block that starts with "example: KIND", as name: value pairs.
type example struct {
	kind   string
	fields map[string]string
}

// examples reads every known-answer block of doc.
func examples(t *testing.T, doc string) []example {
	t.Helper()
	var out []example
	var cur *example
	sc := bufio.NewScanner(strings.NewReader(doc))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "example: "):
			cur = &example{kind: strings.TrimPrefix(line, "example: "), fields: map[string]string{}}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			name, value, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("example %s: line %q is not name: value", cur.kind, line)
			}
			cur.fields[name] = value
		}
	}
	return out
}

func (e example) get(t *testing.T, name string) string {
	t.Helper()
	v, ok := e.fields[name]
	if !ok {
		t.Fatalf("example %s has no %q line", e.kind, name)
	}
	return v
}

func (e example) hex(t *testing.T, name string) []byte {
	t.Helper()
	b, err := hex.DecodeString(e.get(t, name))
	if err != nil {
		t.Fatalf("example %s: %s is not hex: %v", e.kind, name, err)
	}
	return b
}

// TestKnownAnswers recomputes every known answer of protocol.md §10 with
// the code parkd runs (package protocol) and, for SM4, with the cipher
// directly, so the document cannot drift from the code.
func TestKnownAnswers(t *testing.T) {
	exs := examples(t, readContract(t))
	count := map[string]int{}
	for _, e := range exs {
		count[e.kind]++
		switch e.kind {
		case "sm3":
			d := protocol.SM3([]byte(e.get(t, "input")))
			if got := hex.EncodeToString(d[:]); got != e.get(t, "sm3") {
				t.Errorf("SM3(%q) = %s, document says %s", e.get(t, "input"), got, e.get(t, "sm3"))
			}
		case "password":
			if got := protocol.PasswordDigest(e.get(t, "plaintext")); got != e.get(t, "password") {
				t.Errorf("password of %q = %s, document says %s", e.get(t, "plaintext"), got, e.get(t, "password"))
			}
		case "sign":
			data := []byte(e.get(t, "data"))
			if got := protocol.Sign(data); got != e.get(t, "sign") {
				t.Errorf("sign of %s = %s, document says %s", data, got, e.get(t, "sign"))
			}
			if b64, ok := e.fields["base64"]; ok {
				d := protocol.SM3(data)
				if got := base64.StdEncoding.EncodeToString(d[:]); got != b64 {
					t.Errorf("Base64 sign of %s = %s, document says %s", data, got, b64)
				}
				if !protocol.Verify(data, b64) {
					t.Errorf("the platform does not accept the Base64 sign %s", b64)
				}
			}
		case "hmac-sm3":
			got := protocol.SignKeyed([]byte(e.get(t, "key")), []byte(e.get(t, "data")))
			if got != e.get(t, "hmac") {
				t.Errorf("HMAC-SM3 = %s, document says %s", got, e.get(t, "hmac"))
			}
		case "sm4":
			checkSM4(t, e)
		default:
			t.Errorf("unknown example kind %q", e.kind)
		}
	}
	for kind, min := range map[string]int{"sm3": 2, "password": 1, "sign": 2, "hmac-sm3": 1, "sm4": 2} {
		if count[kind] < min {
			t.Errorf("protocol.md has %d %s examples, want at least %d", count[kind], kind, min)
		}
	}
}

// checkSM4 encrypts the example's plaintext with its key and IV, compares
// the Base64 with the document's, decrypts the document's with the
// platform's DecryptData, and checks the sign of the string.
func checkSM4(t *testing.T, e example) {
	t.Helper()
	key, iv, plain := e.hex(t, "key"), e.hex(t, "iv"), []byte(e.get(t, "plaintext"))
	block, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	padded := padding.NewPKCS7Padding(sm4.BlockSize).Pad(append([]byte(nil), plain...))
	out := append(append([]byte(nil), iv...), make([]byte, len(padded))...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[len(iv):], padded)
	want := e.get(t, "data")
	if got := base64.StdEncoding.EncodeToString(out); got != want {
		t.Errorf("SM4 of %s = %s, document says %s", plain, got, want)
	}
	dec, err := protocol.DecryptData(key, want)
	if err != nil || !bytes.Equal(dec, plain) {
		t.Errorf("the platform decrypts the document's data to %q, %v; want %q", dec, err, plain)
	}
	if got := protocol.Sign([]byte(want)); got != e.get(t, "sign") {
		t.Errorf("sign of the encrypted string = %s, document says %s", got, e.get(t, "sign"))
	}
}

// TestExchangeBodiesVerify checks that every request body written out in
// protocol.md (a line starting {"timestamp": with a data array) carries
// the sign of its data.
func TestExchangeBodiesVerify(t *testing.T) {
	n := 0
	for _, line := range strings.Split(readContract(t), "\n") {
		if !strings.HasPrefix(line, `{"timestamp":1`) || !strings.Contains(line, `"data":[`) {
			continue
		}
		req, _, err := protocol.ParseRequest([]byte(line), protocol.DefaultMaxItems)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		n++
		if !protocol.Verify(req.Data, req.Sign) {
			t.Errorf("the sign of %s does not match its data", line)
		}
	}
	if n == 0 {
		t.Error("protocol.md shows no whole request body")
	}
}

// section returns the text of protocol.md's section "## N. ...".
func section(t *testing.T, doc string, n int) string {
	t.Helper()
	start := strings.Index(doc, "\n## "+strconv.Itoa(n)+". ")
	if start < 0 {
		t.Fatalf("protocol.md has no section %d", n)
	}
	rest := doc[start+1:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

var codeRow = regexp.MustCompile(`(?m)^\| (\d+) \| ([^|]+) \|`)

// TestCodeTable checks that §4 lists every appendix-A code parkd knows,
// with its exact message, and nothing else.
func TestCodeTable(t *testing.T) {
	listed := map[protocol.Code]bool{}
	for _, m := range codeRow.FindAllStringSubmatch(section(t, readContract(t), 4), -1) {
		n, _ := strconv.Atoi(m[1])
		c := protocol.Code(n)
		listed[c] = true
		if !c.Known() {
			t.Errorf("§4 lists %d, which is not in protocol/codes.go", n)
		} else if msg := strings.TrimSpace(m[2]); msg != c.Message() {
			t.Errorf("§4 gives %d the message %q, the code sends %q", n, msg, c.Message())
		}
	}
	for n := 0; n < 10000; n++ {
		if c := protocol.Code(n); c.Known() && !listed[c] {
			t.Errorf("code %d (%s) is missing from §4", n, c.Message())
		}
	}
}

// TestInterfaceList checks §1's table of uplink interfaces against the
// interfaces the platform serves.
func TestInterfaceList(t *testing.T) {
	s := section(t, readContract(t), 1)
	for _, i := range protocol.Uplink {
		if !strings.Contains(s, "| `"+string(i)+"` |") {
			t.Errorf("§1 does not list %s", i)
		}
	}
	for _, i := range protocol.Downlink {
		if !strings.Contains(s, "`"+string(i)+"`") {
			t.Errorf("§1 does not name the downlink %s", i)
		}
	}
}

var dictRow = regexp.MustCompile(`\| (\d+) \| [^|(]+ \(`)

// TestCarModelDictionary checks §12's table C.1 against CarModel.Valid,
// and the other dictionaries' largest values against their Valid.
func TestCarModelDictionary(t *testing.T) {
	s := section(t, readContract(t), 12)
	start := strings.Index(s, "`carModel`")
	end := strings.Index(s, "`carColor`")
	if start < 0 || end < start {
		t.Fatal("§12 has no carModel table before carColor")
	}
	listed := map[int]bool{}
	for _, m := range dictRow.FindAllStringSubmatch(s[start:end], -1) {
		n, _ := strconv.Atoi(m[1])
		listed[n] = true
	}
	for n := -1; n <= 100; n++ {
		if valid := protocol.CarModel(n).Valid(); valid != listed[n] {
			t.Errorf("carModel %d: listed in §12 %v, valid in the code %v", n, listed[n], valid)
		}
	}
	for name, valid := range map[string]func(int) bool{
		"serviceType": func(n int) bool { return protocol.ServiceType(n).Valid() },
		"carColor":    func(n int) bool { return protocol.CarColor(n).Valid() },
		"plateColor":  func(n int) bool { return protocol.PlateColor(n).Valid() },
	} {
		last := map[string]int{"serviceType": 17, "carColor": 8, "plateColor": 6}[name]
		if !valid(last) || valid(last+1) || valid(0) {
			t.Errorf("%s: the code does not accept exactly 1..%d as §12 says", name, last)
		}
	}
	for code, name := range protocol.Shenzhen {
		if !strings.Contains(s, "`"+code+"` "+name) {
			t.Errorf("§12 does not list area code %s %s", code, name)
		}
	}
}
