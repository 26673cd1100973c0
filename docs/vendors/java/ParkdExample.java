// A parking system talking to parkd from Java 17 with BouncyCastle and
// java.net.http: login, heartbeat, a picture (multipart), parkInfo and
// enterRecord (signed calls), an SM4-encrypted exitRecord, and the
// downlink receiver for reservation and cancelReservation. The wire
// contract is docs/protocol.md; docs/vendors/java.md explains each step.
//
// Run (Debian: apt-get install libbcprov-java):
//   PARKD_URL=https://127.0.0.1:8443 PARKD_CA=../../../data/tls/cert.pem \
//   PARKD_USER_ID=szpark001 PARKD_PASSWORD='Parking@2024' PARKD_PHOTO=photo.jpg \
//   [PARKD_DATA_KEY=<32 hex>] [PARKD_LISTEN=127.0.0.1:9090 PARKD_DOWNLINK_TOKEN=...] \
//   [PARKD_PARK_CODE=<32 characters>] java -cp /usr/share/java/bcprov.jar ParkdExample.java
// With PARKD_LISTEN it then serves the downlink until standard input is
// closed (Ctrl-D) or the process is stopped, heartbeating every 30 s.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

public class ParkdExample {
    static final SecureRandom RANDOM = new SecureRandom();
    static final String URL = setting("PARKD_URL", true);
    static final String CA = setting("PARKD_CA", false);
    static final String USER_ID = setting("PARKD_USER_ID", true);
    static final String PASSWORD = setting("PARKD_PASSWORD", true);
    static final String PHOTO = setting("PARKD_PHOTO", true);
    static final String DATA_KEY = setting("PARKD_DATA_KEY", false);
    static final String LISTEN = setting("PARKD_LISTEN", false);
    static final String DOWNLINK_TOKEN = setting("PARKD_DOWNLINK_TOKEN", false);
    static final String PARK_CODE = setting("PARKD_PARK_CODE", false).isEmpty() ? uuid() : setting("PARKD_PARK_CODE", false);

    static final DateTimeFormatter CST = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.ofHours(8));
    static HttpClient http;

    static String setting(String name, boolean required) {
        String v = System.getenv(name);
        if ((v == null || v.isEmpty()) && required) {
            System.err.println("set " + name + " (see the comment at the top of ParkdExample.java)");
            System.exit(2);
        }
        return v == null ? "" : v;
    }

    // --- the protocol's building blocks (docs/protocol.md §2, §3, §5, §7) ---

    /** A table 1 Uuid: 32 characters of [0-9a-f], no hyphens. */
    static String uuid() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** SM3 of bytes. BouncyCastle's provider must be registered first (main does). */
    static byte[] sm3(byte[] b) throws Exception {
        return MessageDigest.getInstance("SM3", "BC").digest(b);
    }

    /** The sign: SM3 of the exact UTF-8 bytes of data, 64 lowercase hex digits. */
    static String sign(String data) throws Exception {
        return HexFormat.of().formatHex(sm3(data.getBytes(StandardCharsets.UTF_8)));
    }

    /** login's password: Base64 of the 32-byte digest (not of its hex text: that is 1004). */
    static String passwordDigest(String plaintext) throws Exception {
        return Base64.getEncoder().encodeToString(sm3(plaintext.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The data string of an encrypted request: Base64(IV ‖ SM4-CBC-PKCS#7(key, plaintext)).
     * Java's cipher names call PKCS#7 "PKCS5Padding"; with SM4's 16-byte block it pads as PKCS#7.
     */
    static String encryptData(String keyHex, String plaintext, byte[] iv) throws Exception {
        Cipher c = Cipher.getInstance("SM4/CBC/PKCS5Padding", "BC");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HexFormat.of().parseHex(keyHex), "SM4"), new IvParameterSpec(iv));
        byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
        byte[] out = new byte[iv.length + ct.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        System.arraycopy(ct, 0, out, iv.length, ct.length);
        return Base64.getEncoder().encodeToString(out);
    }

    static String encryptData(String keyHex, String plaintext) throws Exception {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv); // a fresh IV for every request
        return encryptData(keyHex, plaintext, iv);
    }

    /** A DateTime in China Standard Time (UTC+8), whatever this machine's zone. */
    static String cst(Instant t) {
        return CST.format(t);
    }

    /** Checks this library against docs/protocol.md §10 before anything goes on the wire. */
    static void knownAnswers() throws Exception {
        String[][] checks = {
            {passwordDigest("Parking@2024"), "saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="},
            {sign("[{\"userId\":\"szpark001\",\"password\":\"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=\"}]"),
                "ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39"},
            {sign("[{\"parkCode\":\"a1b2c3d4e5f60718293a4b5c6d7e8f90\",\"id\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"plateNo\":\"粤B12345\",\"enterTime\":\"2024-01-01 08:30:00\",\"entryCarPhotoId\":\"11112222333344445555666677778888\",\"entranceCode\":\"GATE01\"}]"),
                "5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd"},
            {encryptData("0123456789abcdeffedcba9876543210", "[{\"a\":1}]", HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f")),
                "AAECAwQFBgcICQoLDA0OD6SM7clF7YxEdPupgBqpx64="},
        };
        for (String[] c : checks) {
            if (!c[0].equals(c[1])) {
                throw new IllegalStateException("known answer: got " + c[0] + ", want " + c[1]);
            }
        }
    }

    // --- JSON, by hand: this example needs nothing but the JDK and BouncyCastle ---

    /** A JSON string literal. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** A compact JSON object of name/value pairs; values are strings, numbers or raw JSON (Raw). */
    static String obj(Object... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) b.append(',');
            b.append(q((String) kv[i])).append(':');
            Object v = kv[i + 1];
            if (v instanceof String s) b.append(q(s));
            else b.append(v); // Integer, Long, Double, Raw
        }
        return b.append('}').toString();
    }

    record Raw(String json) {
        public String toString() { return json; }
    }

    /** A top-level member of a JSON object exactly as it stands: what the sign covers. */
    static String rawMember(String text, String name) {
        int[] i = {0};
        Runnable ws = () -> { while (i[0] < text.length() && " \t\r\n".indexOf(text.charAt(i[0])) >= 0) i[0]++; };
        ws.run();
        if (i[0] >= text.length() || text.charAt(i[0]++) != '{') return null;
        while (true) {
            ws.run();
            if (i[0] >= text.length() || text.charAt(i[0]) != '"') return null;
            int ks = i[0];
            skipString(text, i);
            String key = text.substring(ks + 1, i[0] - 1);
            ws.run();
            if (text.charAt(i[0]++) != ':') return null;
            ws.run();
            int vs = i[0];
            int depth = 0;
            for (; i[0] < text.length(); i[0]++) {
                char c = text.charAt(i[0]);
                if (c == '"') { skipString(text, i); i[0]--; continue; }
                if (c == '{' || c == '[') depth++;
                else if (c == '}' || c == ']') { if (depth == 0) break; depth--; }
                else if (c == ',' && depth == 0) break;
            }
            String value = text.substring(vs, i[0]).trim();
            if (key.equals(name)) return value;
            ws.run();
            if (i[0] >= text.length() || text.charAt(i[0]++) != ',') return null;
        }
    }

    static void skipString(String text, int[] i) {
        i[0]++;
        while (text.charAt(i[0]) != '"') i[0] += text.charAt(i[0]) == '\\' ? 2 : 1;
        i[0]++;
    }

    /** The first value of a string member name anywhere in text (answers are small and flat). */
    static String field(String text, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|-?\\d+)").matcher(text);
        if (!m.find()) return null;
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    // --- HTTPS with the platform's certificate trusted ---

    /** An HttpClient that trusts the PEM certificate at path (the platform's self-signed one). */
    static HttpClient client(String caPath) throws Exception {
        HttpClient.Builder b = HttpClient.newBuilder();
        if (!caPath.isEmpty()) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = new FileInputStream(caPath)) {
                int n = 0;
                for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("parkd" + n++, cert);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            b.sslContext(ctx); // verification stays on: the certificate is trusted, not ignored
        }
        return b.build();
    }

    static String post(String path, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(URL.replaceAll("/+$", "") + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(r::header);
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return resp.body();
    }

    /**
     * Sends items (a JSON array, already serialised) to an uplink interface and returns the answer.
     * The body is assembled from the very text that was signed: never pretty-print or re-serialise
     * data after signing (code 6). timestamp is milliseconds (seconds: code 4).
     */
    static String call(String code, String items, String token, boolean encrypt) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        if (token != null) headers.put("authorization", token);
        String data = items;
        String signed = items;
        if (encrypt) {
            signed = encryptData(DATA_KEY, items); // Base64 has no characters JSON escapes
            data = q(signed);
            headers.put("encrypted", "0"); // the standard's inverted meaning: 0 = encrypted
        }
        String body = "{\"timestamp\":" + System.currentTimeMillis() + ",\"sign\":\"" + sign(signed)
            + "\",\"version\":\"1.0.0\",\"data\":" + data + "}";
        String resp = post("/dataReceive/v1/" + code, body.getBytes(StandardCharsets.UTF_8), headers);
        if (!"0".equals(field(resp, "code"))) {
            throw new IllegalStateException(code + ": " + resp);
        }
        return resp;
    }

    /** Sends a photo as multipart/form-data (docs/protocol.md §6): the sign is SM3 of the file's bytes. */
    static String picture(String token, String id, int imageBizType, String file) throws Exception {
        byte[] bytes = Files.readAllBytes(Path.of(file));
        String boundary = "----parkd" + uuid();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("timestamp", Long.toString(System.currentTimeMillis()));
        fields.put("sign", HexFormat.of().formatHex(sm3(bytes)));
        fields.put("version", "1.0.0");
        fields.put("parkCode", PARK_CODE);
        fields.put("id", id);
        fields.put("fileName", "photo.jpg");
        fields.put("imageBizType", Integer.toString(imageBizType));
        fields.put("pickTime", Long.toString(System.currentTimeMillis()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (var f : fields.entrySet()) {
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n"
                + f.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(bytes);
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        String resp = post("/dataReceive/v1/picture", out.toByteArray(),
            Map.of("Content-Type", "multipart/form-data; boundary=" + boundary, "authorization", token));
        if (!"0".equals(field(resp, "code"))) {
            throw new IllegalStateException("picture: " + resp);
        }
        return field(resp, "id");
    }

    // --- the downlink receiver (docs/protocol.md §8) ---

    static final Map<String, String> HELD = new ConcurrentHashMap<>(); // bookCode -> plate: spaces this lot holds

    static void answer(HttpExchange ex, int code, String message, String data) throws IOException {
        byte[] b = obj("code", code, "message", message, "timestamp", System.currentTimeMillis(), "data", new Raw(data))
            .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    static void receive(HttpExchange ex) throws IOException {
        try {
            String text = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String code = ex.getRequestURI().getPath().replace("/dataReceive/v1/", "");
            if (!ex.getRequestMethod().equals("POST") || !(code.equals("reservation") || code.equals("cancelReservation"))) {
                answer(ex, 2, "接口通用格式错误", "[]");
                return;
            }
            String token = ex.getRequestHeaders().getFirst("authorization");
            if (token == null || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                    DOWNLINK_TOKEN.getBytes(StandardCharsets.UTF_8))) {
                System.out.println(code + ": refused, code 5 (wrong downlink token)");
                answer(ex, 5, "Token校验失败", "[]");
                return;
            }
            String data = rawMember(text, "data");
            String sign = field(text, "sign");
            if (data == null || sign == null || !sign(data).equalsIgnoreCase(sign)) {
                System.out.println(code + ": refused, code 6 (sign does not match data)");
                answer(ex, 6, "sign参数校验失败", "[]");
                return;
            }
            // One order per call; a real system decodes data with its JSON library.
            String bookCode = field(data, "bookCode");
            if (bookCode == null || bookCode.isEmpty()) {
                answer(ex, 4, "参数错误: bookCode is required", "[]");
                return;
            }
            String result = "[" + obj("bookCode", bookCode) + "]";
            if (code.equals("reservation")) {
                boolean change = "2".equals(field(data, "operateType"));
                boolean known = HELD.putIfAbsent(bookCode, field(data, "plateNo")) != null && !change;
                System.out.println("reservation " + bookCode + " " + field(data, "plateNo") + " " + field(data, "bookTime")
                    + " operateType " + field(data, "operateType") + ": answered " + (known ? 1201 : 0));
                if (known) answer(ex, 1201, "预约编码已存在", "[]");
                else answer(ex, 0, "成功", result);
            } else if (HELD.remove(bookCode) == null) {
                System.out.println("cancelReservation " + bookCode + ": answered 1104");
                answer(ex, 1104, "预约订单不存在", "[]");
            } else {
                System.out.println("cancelReservation " + bookCode + ": answered 0");
                answer(ex, 0, "成功", result);
            }
        } catch (Exception e) {
            System.err.println("downlink: " + e);
            answer(ex, 3, "其他错误", "[]");
        }
    }

    // --- the run ---

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider()); // without it: NoSuchProviderException "BC"
        knownAnswers();
        System.out.println("known answers: ok");
        http = client(CA);

        String resp = call("login", "[" + obj("userId", USER_ID, "password", passwordDigest(PASSWORD)) + "]", null, false);
        String token = field(resp, "accessToken");
        System.out.println("login: code 0, accessToken of " + token.length() + " characters");

        resp = call("heartBeats", "[" + obj("requestTime", cst(Instant.now())) + "]", token, false);
        long platform = Long.parseLong(field(rawMember(resp, "data"), "timestamp"));
        System.out.println("heartBeats: code 0, platform clock " + platform + " (ours differs by "
            + (System.currentTimeMillis() - platform) + " ms)");

        // The tariff board's picture first: parkInfo cites it as imageId.
        String tariff = uuid();
        System.out.println("picture " + picture(token, tariff, 1, PHOTO) + ": code 0");

        String park = obj("parkName", "示例停车场", "parkCode", PARK_CODE, "permitNo", "", "parkType", 1,
            "address", "深圳市福田区示例路1号", "longitude", 114.0579, "latitude", 22.5431, "areaCode", "440304",
            "serviceType", 4, "bizStatus", 1, "totalSpaces", 200, "reservable", 1, "reservableSpaces", 10,
            "totalReservableCharingSpaces", 0, "imageId", tariff,
            "publicInfos", new Raw("[" + obj("type", 1, "startTime", "00:00:00", "endTime", "23:59:59") + "]"));
        resp = call("parkInfo", "[" + park + "]", token, false);
        System.out.println("parkInfo: code 0, isvParkId " + field(resp, "isvParkId"));

        String photo = uuid();
        System.out.println("picture " + picture(token, photo, 4, PHOTO) + ": code 0");

        String id = uuid();
        Instant now = Instant.now();
        resp = call("enterRecord", "[" + obj("parkCode", PARK_CODE, "id", id, "plateNo", "粤B12345",
            "enterTime", cst(now.minusSeconds(3600)), "entryCarPhotoId", photo, "entranceCode", "GATE01",
            "carModel", 2, "plateColor", 1) + "]", token, false);
        System.out.println("enterRecord: code 0, id " + field(rawMember(resp, "data"), "id"));

        if (!DATA_KEY.isEmpty()) {
            resp = call("exitRecord", "[" + obj("parkCode", PARK_CODE, "id", id, "plateNo", "粤B12345",
                "leaveTime", cst(now), "exitCarPhotoId", photo, "exitCode", "GATE02") + "]", token, true);
            System.out.println("exitRecord (encrypted): code 0, id " + field(rawMember(resp, "data"), "id"));
        }

        if (LISTEN.isEmpty()) {
            System.out.println("done");
            return;
        }
        int colon = LISTEN.lastIndexOf(':');
        HttpServer server = HttpServer.create(new InetSocketAddress(LISTEN.substring(0, colon),
            Integer.parseInt(LISTEN.substring(colon + 1))), 0);
        server.createContext("/dataReceive/v1/", ex -> receive(ex));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.println("downlink: listening on http://" + LISTEN);
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        beats.scheduleAtFixedRate(() -> {
            try {
                call("heartBeats", "[" + obj("requestTime", cst(Instant.now())) + "]", token, false);
            } catch (Exception e) {
                System.err.println("heartBeats: " + e.getMessage());
            }
        }, 30, 30, TimeUnit.SECONDS);
        while (System.in.read() >= 0) {
            // serve until standard input is closed
        }
        beats.shutdownNow();
        server.stop(0);
        System.out.println("done");
        System.exit(0);
    }
}
