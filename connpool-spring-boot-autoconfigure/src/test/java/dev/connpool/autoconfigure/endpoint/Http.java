package dev.connpool.autoconfigure.endpoint;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A real HTTP client against the application under test: one connection per call, closed after it
 * (no client threads left behind), every call bounded.
 */
final class Http {

    private static final int TIMEOUT_MILLIS = 10_000;

    private final int port;

    Http(int port) {
        this.port = port;
    }

    /** A response: status and body. */
    record Response(int status, String body) {
    }

    Response get(String path) throws IOException {
        return send("GET", path);
    }

    /** A POST with an empty body, as an empty JSON request. */
    Response post(String path) throws IOException {
        return send("POST", path, null);
    }

    /** A POST of a JSON body. */
    Response post(String path, String json) throws IOException {
        return send("POST", path, json);
    }

    private Response send(String method, String path) throws IOException {
        return send(method, path, null);
    }

    private Response send(String method, String path, String json) throws IOException {
        HttpURLConnection conn = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        try {
            conn.setRequestMethod(method);
            conn.setConnectTimeout(TIMEOUT_MILLIS);
            conn.setReadTimeout(TIMEOUT_MILLIS);
            conn.setRequestProperty("Connection", "close");
            conn.setRequestProperty("Accept", "application/json");
            if (method.equals("POST")) {
                conn.setRequestProperty("Content-Type", "application/json");
                conn.setDoOutput(true);
                try (var out = conn.getOutputStream()) {
                    if (json != null) {
                        out.write(json.getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            int status = conn.getResponseCode();
            InputStream in = status >= 400 ? conn.getErrorStream() : conn.getInputStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Response(status, body);
        } finally {
            conn.disconnect();
        }
    }
}
