package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/internal/tools/sim"
	"github.com/parkd/parkd/protocol"
)

// The console's browser test drives Debian's chromium headless against a
// real parkd filled by a short simulated run.
const (
	chromiumPath     = "/usr/bin/chromium"
	operatorName     = "ops"
	operatorPassword = "Console@2024"
	simVendor        = "szpark001" // its simulated lots include reservable ones
	simLots          = 6
)

// needChromium returns the browser's path, failing the test when it is
// missing under CI and skipping it otherwise.
func needChromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing (%v): the console's browser test needs Debian's chromium (apt-get install chromium)", chromiumPath, err)
		}
		t.Skipf("skipping the console's browser test: %s is missing; install Debian's chromium (apt-get install chromium) to run it", chromiumPath)
	}
	return chromiumPath
}

// fillWithSim starts a real-clock parkd and runs simulated lots against it
// for a few seconds through the SDK: entries and exits with photos, and
// vacancy. The simulated hours end about now, within today (CST).
func fillWithSim(t testing.TB) *testserver.Server {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Clock: testserver.RealClock()})
	addAccount(t, srv, simVendor)
	const run, speed = 4 * time.Second, 2700.0
	now := time.Now().In(protocol.CST)
	start := now.Add(-time.Duration(float64(run) * speed))
	if midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 1, 0, protocol.CST); start.Before(midnight) {
		start = midnight
	}
	photos, err := sim.NewPhotos(2, 42)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator is also the city's app back end: it books spaces
	// through the booking API, and its lots answer the downlink.
	s, err := sim.New(sim.Config{URL: srv.URL, UserID: simVendor, Password: password, HTTPClient: srv.Client,
		Lots: simLots, Rate: 40, Speed: speed, Duration: run, Seed: 42, Start: start,
		Dir: t.TempDir(), NoSync: true, Photos: photos,
		APIKey: addAPIKey(t, srv, "city app"), BookRate: 3, ChangeShare: 0.3, CancelShare: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	lots := httptest.NewServer(&client.Receiver{Token: lotToken, Handler: s})
	t.Cleanup(lots.Close)
	setCallback(t, srv, simVendor, lots.URL, lotToken)
	sum, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Acknowledged == 0 || sum.Arrivals == 0 || sum.Depth != 0 {
		t.Fatalf("simulated run: %d acknowledged, %d arrivals, %d left in the outbox", sum.Acknowledged, sum.Arrivals, sum.Depth)
	}
	if sum.Bookings == nil || sum.Bookings.Booked == 0 {
		t.Fatalf("simulated run: no bookings: %+v", sum.Bookings)
	}
	t.Logf("simulated run: %d arrivals, %d departures, %d items acknowledged, %d bookings", sum.Arrivals, sum.Departures, sum.Acknowledged, sum.Bookings.Booked)
	return srv
}

// browser starts a headless chromium with a new profile that trusts only
// the server's self-signed certificate, and returns its tab's context.
// Exceptions the page throws are collected.
func browser(t testing.TB, srv *testserver.Server) (context.Context, *pageErrors) {
	t.Helper()
	exe := needChromium(t)
	spki := certSPKI(t, srv)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	errs := &pageErrors{}
	msgs := chromedp.Console(ctx) // starts the browser
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() {
				errs.add(m.String())
			}
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return ctx, errs
}

// pageErrors collects the exceptions the page did not catch.
type pageErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (p *pageErrors) add(m string) {
	p.mu.Lock()
	p.msgs = append(p.msgs, m)
	p.mu.Unlock()
}

func (p *pageErrors) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.msgs)
}

// certSPKI is the base64 SHA-256 of the server certificate's public key,
// the form --ignore-certificate-errors-spki-list takes.
func certSPKI(t testing.TB, srv *testserver.Server) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(srv.Config.DataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatal("cert.pem holds no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// artifactsDir is $PARKD_ARTIFACTS or <repo>/artifacts/console.
func artifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PARKD_ARTIFACTS")
	if dir == "" {
		root, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatal("no go.mod above the test's folder")
			}
			root = parent
		}
		dir = filepath.Join(root, "artifacts", "console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserStep runs one step of a browser test with its own time limit.
type browserStep struct {
	t   *testing.T
	ctx context.Context
	dir string
	n   int
}

// do runs the actions, failing the test with the step's name.
func (b *browserStep) do(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + name)
		b.t.Fatalf("%s: %v", name, err)
	}
}

// eval evaluates a JavaScript expression to an int.
func (b *browserStep) eval(name, expr string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	return n
}

// wait polls a JavaScript predicate until it holds.
func (b *browserStep) wait(name, predicate string) {
	b.t.Helper()
	b.do(name, chromedp.Steps(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		return chromedp.Void{}, err
	}))
}

// shot saves a full-page PNG of the page as the next numbered artifact.
func (b *browserStep) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// goTo changes the page's route and waits until its view has rendered.
func (b *browserStep) goTo(hash, view string) {
	b.t.Helper()
	b.do("open "+hash, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void (location.hash = %q)`, hash)))
	b.wait("render "+hash, fmt.Sprintf(`(() => { const v = document.getElementById('view');
		return v.dataset.view === %q && v.dataset.ready === '1'; })()`, view))
}

// countColour counts the pixels of the canvas, below its top fromY CSS
// pixels (a legend), within 12 of one of the RGB colours.
func countColour(id string, fromY int, rgb ...[3]int) string {
	var cs []string
	for _, c := range rgb {
		cs = append(cs, fmt.Sprintf("[%d,%d,%d]", c[0], c[1], c[2]))
	}
	return fmt.Sprintf(`(() => { const c = document.getElementById(%q); if (!c || !c.width) return 0;
		const y0 = Math.round(%d * (window.devicePixelRatio || 1));
		const d = c.getContext('2d').getImageData(0, y0, c.width, c.height - y0).data; const want = [%s]; let n = 0;
		for (let i = 0; i < d.length; i += 4) for (const w of want)
			if (Math.abs(d[i]-w[0]) < 12 && Math.abs(d[i+1]-w[1]) < 12 && Math.abs(d[i+2]-w[2]) < 12 && d[i+3] > 200) { n++; break; }
		return n; })()`, id, fromY, strings.Join(cs, ","))
}

// Colours of the page: the map's occupancy classes and the chart's used line.
var (
	occupancyColours = [][3]int{{0x1a, 0x9a, 0x55}, {0xe0, 0xa1, 0x00}, {0xd6, 0x45, 0x45}, {0x9a, 0xa3, 0xb0}}
	usedColour       = [3]int{0x1f, 0x6f, 0xeb}
)

// mapPoint is where the overview's map draws a park, in viewport pixels.
type mapPoint struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// mapPointJS projects the first park of the overview (Web Mercator) with
// the centre and zoom the map's canvas reports.
const mapPointJS = `(async () => {
	const o = await (await fetch('/console/api/overview')).json();
	const p = o.parks[0], c = document.getElementById('map');
	const [clng, clat] = c.dataset.center.split(',').map(Number), k = Math.pow(2, +c.dataset.zoom);
	const proj = (lng, lat) => { const s = Math.sin(lat * Math.PI / 180); return [256 * (lng + 180) / 360, 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI))]; };
	const [x, y] = proj(p.lng, p.lat), [cx, cy] = proj(clng, clat), r = c.getBoundingClientRect();
	return {id: p.isvParkId, name: p.name, x: r.left + r.width / 2 + (x - cx) * k, y: r.top + r.height / 2 + (y - cy) * k};
})()`

// login fills the console's login form and waits for the overview.
func (b *browserStep) login(url string) {
	b.t.Helper()
	b.do("open the console", chromedp.Navigate(url+"/console/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	b.shot("login")
	b.do("log in",
		chromedp.SendKeys(chromedp.CSS(`#login-name`), operatorName),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), operatorPassword),
		chromedp.Click(chromedp.CSS(`#login-submit`)))
	b.wait("overview after login", `document.getElementById('view').dataset.view === 'overview' && document.getElementById('view').dataset.ready === '1'`)
}

// signIn fills the login form with name and password.
func (b *browserStep) signIn(name, password string) {
	b.t.Helper()
	b.do("sign in as "+name,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)),
		chromedp.Evaluate[chromedp.Void](`void (document.getElementById('login-name').value = '')`),
		chromedp.SendKeys(chromedp.CSS(`#login-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), password),
		chromedp.Click(chromedp.CSS(`#login-submit`)))
}

func TestConsoleInTheBrowser(t *testing.T) {
	needChromium(t)
	srv := fillWithSim(t)
	srv.AddOperator(t, operatorName, operatorPassword)
	ctx, errs := browser(t, srv)
	b := &browserStep{t: t, ctx: ctx, dir: artifactsDir(t)}

	b.login(srv.URL)
	if got := b.eval("signed-in name", `document.getElementById('me').textContent === 'ops' ? 1 : 0`); got != 1 {
		t.Errorf("the top bar does not show the operator's name")
	}

	// Overview: totals, the districts table, every park on the map, and the
	// live totals from the event stream.
	b.wait("map points", fmt.Sprintf(`+document.getElementById('map').dataset.points === %d`, simLots))
	for _, id := range []string{"parks", "parksOnline", "totalSpaces", "entriesToday"} {
		if n := b.eval("total "+id, fmt.Sprintf(`+document.querySelector('[data-testid=total-%s]').dataset.value`, id)); n <= 0 {
			t.Errorf("overview total %s is %d, want > 0", id, n)
		}
	}
	if n := b.eval("parks total", `+document.querySelector('[data-testid=total-parks]').dataset.value`); n != simLots {
		t.Errorf("overview shows %d parks, want %d", n, simLots)
	}
	// The page's Content-Security-Policy (style-src 'self') would drop style
	// attributes set as markup: every styled element has its style.
	if n := b.eval("styled elements", `(() => { const els = [...document.querySelectorAll('[style]')];
		return els.length > 0 && els.every(e => e.style.cssText !== '') ? 1 : 0; })()`); n != 1 {
		t.Errorf("styled elements lost their styles under the page's CSP")
	}
	if n := b.eval("district rows", `document.querySelectorAll('[data-testid=districts-table] tbody tr').length`); n != len(protocol.Shenzhen) {
		t.Errorf("districts table has %d rows, want %d", n, len(protocol.Shenzhen))
	}
	if n := b.eval("map pixels", countColour("map", 0, occupancyColours...)); n < simLots*20 {
		t.Errorf("the map canvas has %d pixels in occupancy colours, want at least %d for %d parks", n, simLots*20, simLots)
	}
	zoom := b.eval("map zoom", `Math.round(+document.getElementById('map').dataset.zoom * 100)`)
	b.do("zoom in", chromedp.Click(chromedp.CSS(`[data-testid=map-zoom-in]`)))
	b.wait("zoomed in", fmt.Sprintf(`Math.round(+document.getElementById('map').dataset.zoom * 100) === %d`, zoom+100))
	b.do("reset the map", chromedp.Click(chromedp.CSS(`[data-testid=map-reset]`)))
	b.wait("map reset", fmt.Sprintf(`Math.round(+document.getElementById('map').dataset.zoom * 100) === %d && +document.getElementById('map').dataset.points === %d`, zoom, simLots))
	// Hovering a park's point names it; clicking opens its page.
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[mapPoint](mapPointJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("a park's point on the map: %v", err)
	}
	b.do("hover a park", chromedp.MouseEvent("mouseMoved", pt.X, pt.Y))
	b.wait("map tooltip", fmt.Sprintf(`!document.querySelector('[data-testid=map-tip]').hidden && document.querySelector('[data-testid=map-tip]').textContent.includes(%q)`, pt.Name))
	b.shot("map-hover")
	b.do("click a park", chromedp.MouseClickXY(pt.X, pt.Y))
	b.wait("the park's page", fmt.Sprintf(`location.hash === %q && document.getElementById('view').dataset.ready === '1'`, "#/parks/"+pt.ID))
	b.goTo("#/", "overview")
	b.wait("map points again", fmt.Sprintf(`+document.getElementById('map').dataset.points === %d`, simLots))

	// The event stream stays open and brings new totals every 2 s.
	b.wait("live totals", `+(document.querySelector('[data-testid=live]').dataset.events || 0) >= 2`)
	if n := b.eval("event errors", `+(document.querySelector('[data-testid=live]').dataset.errors || 0)`); n != 0 {
		t.Errorf("the event stream failed %d times before its second event", n)
	}
	b.shot("overview")

	// Parks: the list, a search, then one park's page.
	b.goTo("#/parks", "parks")
	if n := b.eval("park rows", `document.querySelectorAll('[data-testid=parks-table] tbody tr').length`); n != simLots {
		t.Errorf("parks table has %d rows, want %d", n, simLots)
	}
	b.shot("parks")
	b.do("search a park", chromedp.SendKeys(chromedp.CSS(`#parks-q`), "no such park zz"))
	b.wait("search result", `document.querySelector('[data-testid=parks-table-empty]') !== null`)
	b.do("clear the search", chromedp.Evaluate[chromedp.Void](`void (() => { const q = document.getElementById('parks-q');
		q.value = ''; q.dispatchEvent(new Event('input')); })()`))
	b.wait("every park again", fmt.Sprintf(`document.querySelectorAll('[data-testid=parks-table] tbody tr').length === %d`, simLots))
	// A park whose latest entries have photos (not every lot saw traffic).
	withPhotos, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		for (const p of (await (await fetch('/console/api/parks')).json()).parks) {
			const d = await (await fetch('/console/api/parks/' + encodeURIComponent(p.isvParkId))).json();
			if (d.entries.some((e) => e.photo)) return p.isvParkId;
		}
		return '';
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || withPhotos == "" {
		t.Fatalf("no park with an entry photo after the simulated run (%v)", err)
	}
	b.do("click a park", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=parks-table] a[href="#/parks/%s"]`, withPhotos))))
	b.wait("park page", `document.getElementById('view').dataset.ready === '1' && document.getElementById('park-chart') !== null`)
	b.wait("chart drawn", `+document.getElementById('park-chart').dataset.points > 0`)
	// Below the legend: the used line and the marker of its latest value.
	if n := b.eval("chart pixels", countColour("park-chart", 24, usedColour)); n < 20 {
		t.Errorf("the occupancy chart has %d pixels of the used line, want it drawn", n)
	}
	b.wait("a photo loaded", `[...document.querySelectorAll('img[data-testid=entries-photo]')].some((i) => i.complete && i.naturalWidth > 0)`)
	b.shot("park")
	b.do("enlarge a photo", chromedp.Evaluate[chromedp.Void](`void [...document.querySelectorAll('img[data-testid=entries-photo]')].find((i) => i.naturalWidth > 0).click()`))
	b.wait("enlarged photo", `document.getElementById('photo-dialog').open && document.getElementById('photo-large').naturalWidth > 0`)
	b.shot("photo")
	b.do("close the photo", chromedp.Evaluate[chromedp.Void](`void document.getElementById('photo-dialog').close()`))

	// Vendors, reservations, statistics and off-peak.
	b.goTo("#/vendors", "vendors")
	if n := b.eval("vendor row", fmt.Sprintf(`[...document.querySelectorAll('[data-testid=vendors-table] tbody tr')].filter((r) => r.textContent.includes(%q)).length`, simVendor)); n != 1 {
		t.Errorf("vendors table has %d rows for %s, want 1", n, simVendor)
	}
	b.shot("vendors")
	b.goTo("#/reservations", "reservations")
	if n := b.eval("reservation rows", `document.querySelectorAll('[data-testid=resv-table] tbody tr').length`); n == 0 {
		t.Errorf("the reservations page lists no orders after the simulated bookings")
	}
	b.shot("reservations")
	b.do("open an order", chromedp.Click(chromedp.CSS(`[data-testid=resv-table] a[data-testid=resv-link]`)))
	b.wait("order page", `document.getElementById('view').dataset.ready === '1' && document.querySelector('[data-testid=resv-events]') !== null`)
	if n := b.eval("order events", `document.querySelectorAll('[data-testid=resv-events] tbody tr').length`); n == 0 {
		t.Errorf("the order's page shows no state changes")
	}
	b.shot("reservation")
	b.goTo("#/stats", "stats")
	if n := b.eval("stats entries", `+document.querySelector('[data-testid=stats-entries]').textContent.replace(/\D/g, '')`); n <= 0 {
		t.Errorf("statistics show %d entries today, want > 0", n)
	}
	if n := b.eval("stats csv link", `document.querySelector('[data-testid=stats-csv]').href.includes('/console/api/stats.csv?date=') ? 1 : 0`); n != 1 {
		t.Errorf("no CSV download link on the statistics page")
	}
	b.shot("stats")
	b.goTo("#/offpeak", "offpeak")
	if n := b.eval("off-peak", `document.querySelectorAll('[data-testid=offpeak-orders-total], [data-testid^=offpeak-packages-table]').length`); n != 2 {
		t.Errorf("the off-peak page shows %d of its daily totals and packages list, want both", n)
	}
	b.shot("offpeak")

	// A session that ended elsewhere: the next answer is 401, and the page
	// shows the login form; signing in again returns to the same view.
	b.do("end the session", chromedp.Evaluate[chromedp.Void](`fetch('/console/api/logout', {method: 'POST',
		headers: {'Content-Type': 'application/json'}, body: '{}'}).then(() => { location.hash = '#/vendors'; })`, chromedp.EvalAwaitPromise))
	b.do("login form after 401", chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	b.do("log in again",
		chromedp.Evaluate[chromedp.Void](`void (document.getElementById('login-name').value = '')`),
		chromedp.SendKeys(chromedp.CSS(`#login-name`), operatorName),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), operatorPassword),
		chromedp.Click(chromedp.CSS(`#login-submit`)))
	b.wait("vendors after signing in again", `document.getElementById('view').dataset.view === 'vendors' && document.getElementById('view').dataset.ready === '1'`)

	// Logging out shows the login form again.
	b.do("log out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))
	if n := b.eval("view hidden", `document.getElementById('view').hidden ? 1 : 0`); n != 1 {
		t.Errorf("the console's view stays visible after logging out")
	}

	// An auditor's first sign-in: the password change comes first, then
	// the audit log is all the page offers, with the admin's photo views.
	srv.AddOperatorRole(t, "audit-li", operatorPassword, platform.OperatorAuditor)
	update(t, srv, func(tx platform.Tx) error {
		op, err := tx.Operator("audit-li")
		op.MustChangePassword = true
		if err != nil {
			return err
		}
		return tx.PutOperator(op)
	})
	b.signIn("audit-li", operatorPassword)
	b.wait("password form", `document.getElementById('view').dataset.view === 'password' && document.querySelector('[data-testid=pw-reason]') !== null`)
	b.shot("password-change")
	b.do("change the password",
		chromedp.SendKeys(chromedp.CSS(`#pw-current`), operatorPassword),
		chromedp.SendKeys(chromedp.CSS(`#pw-new`), "Audit trail 2024"),
		chromedp.SendKeys(chromedp.CSS(`#pw-again`), "Audit trail 2024"),
		chromedp.Click(chromedp.CSS(`[data-testid=pw-submit]`)))
	b.wait("audit log", `document.getElementById('view').dataset.view === 'audit' && document.getElementById('view').dataset.ready === '1'`)
	if n := b.eval("visible nav", `[...document.querySelectorAll('#nav a')].filter((a) => !a.hidden).length`); n != 1 {
		t.Errorf("an auditor's page offers %d views, want the audit log only", n)
	}
	if n := b.eval("photo views", fmt.Sprintf(`[...document.querySelectorAll('[data-testid=audit-table] tbody tr')].filter((r) => r.textContent.includes('view.photo') && r.textContent.includes(%q)).length`, operatorName)); n == 0 {
		t.Errorf("the audit log shows no photo view of %s", operatorName)
	}
	if n := b.eval("csv link", `document.querySelector('[data-testid=audit-csv]').href.includes('/console/api/audit.csv') ? 1 : 0`); n != 1 {
		t.Error("no CSV export link on the audit log")
	}
	b.shot("audit")
	b.do("auditor logs out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)))

	// An operator sees the park's plates masked and no photos.
	srv.AddOperatorRole(t, "watch-wang", operatorPassword, platform.OperatorWatch)
	b.signIn("watch-wang", operatorPassword)
	b.wait("overview of an operator", `document.getElementById('view').dataset.view === 'overview' && document.getElementById('view').dataset.ready === '1'`)
	b.goTo("#/parks/"+withPhotos, "parks")
	if n := b.eval("masked plates", `[...document.querySelectorAll('[data-testid=entries-table] tbody tr')].filter((r) => /·\*+/.test(r.textContent)).length`); n == 0 {
		t.Error("an operator's park page shows no masked plate")
	}
	if n := b.eval("photos", `document.querySelectorAll('img[data-testid=entries-photo]').length`); n != 0 {
		t.Errorf("an operator's park page shows %d photos", n)
	}
	if n := b.eval("audit nav", `document.querySelector('[data-testid=nav-audit]').hidden ? 1 : 0`); n != 1 {
		t.Error("an operator's page offers the audit log")
	}
	b.shot("park-masked")
	if got := errs.list(); len(got) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(got, "\n"))
	}
}

// BenchmarkConsoleOverviewLoad loads the overview page in the browser, with
// the operator signed in and a filled server, and reports the time from
// navigation to the overview rendered (the page's own performance.now()
// when its data is on screen) as p50 and p99 in ms; api-p50 is the
// baseline, the overview's JSON alone fetched by the same page.
func BenchmarkConsoleOverviewLoad(b *testing.B) {
	needChromium(b)
	srv := fillWithSim(b)
	srv.AddOperator(b, operatorName, operatorPassword)
	ctx, _ := browser(b, srv)
	run := func(name string, a chromedp.Action[chromedp.Void]) {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, a); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
	}
	run("log in", chromedp.Steps(chromedp.Navigate(srv.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-form]`)),
		chromedp.SendKeys(chromedp.CSS(`#login-name`), operatorName), chromedp.SendKeys(chromedp.CSS(`#login-password`), operatorPassword),
		chromedp.Click(chromedp.CSS(`#login-submit`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=totals]`))))
	var ms, api []float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		url := fmt.Sprintf("%s/console/?load=%d#/", srv.URL, i)
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(tctx, chromedp.Navigate(url))
		if err != nil {
			cancel()
			b.Fatalf("load %d: %v", i, err)
		}
		// Read the page's own mark; polling from here does not change it,
		// and a fresh evaluation each time survives the document swap.
		var v float64
		for v == 0 && err == nil {
			v, _ = chromedp.Run(tctx, chromedp.Evaluate[float64](`+(document.body && document.body.dataset.overviewRenderedMs) || 0`))
			if v == 0 {
				err = sleepCtx(tctx, 10*time.Millisecond)
			}
		}
		cancel()
		if err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({state: document.body.dataset.state, view: document.getElementById('view').dataset,
				error: document.getElementById('login-error').textContent, text: document.body.innerText.slice(0, 300),
				requests: performance.getEntriesByType('resource').map((e) => e.name + ' ' + Math.round(e.duration))})`))
			b.Fatalf("load %d: overview not rendered: %v; page: %s", i, err, state)
		}
		ms = append(ms, v)
		// The baseline: the overview's JSON alone, fetched by the same page.
		tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		f, err := chromedp.Run(tctx, chromedp.Evaluate[float64](`(async () => { const t = performance.now();
			const r = await fetch('/console/api/overview'); await r.json(); return performance.now() - t; })()`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			b.Fatalf("load %d: fetching the overview: %v", i, err)
		}
		api = append(api, f)
	}
	b.StopTimer()
	slices.Sort(ms)
	slices.Sort(api)
	b.ReportMetric(quantile(ms, 0.50), "p50-ms/op")
	b.ReportMetric(quantile(ms, 0.99), "p99-ms/op")
	b.ReportMetric(quantile(api, 0.50), "api-p50-ms/op")
}

// sleepCtx waits d, or less when ctx ends first (its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// quantile returns the q-quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
